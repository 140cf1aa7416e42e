"""``python -m bench``: every benchmark, each in a process of its own (so that one's threads,
caches and warm kernels do not flatter the next), one after another; --json prints one object
holding each script's report."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from bench import MORE, QUESTIONS
from bench.common import ROOT


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a smoke run of each: seconds, not minutes")
    p.add_argument("--json", action="store_true", help="one JSON object: {script: its report}")
    p.add_argument("--all", action="store_true", help=f"also {', '.join(MORE)}")
    p.add_argument("--only", nargs="+", metavar="SCRIPT", choices=QUESTIONS + MORE,
                   help="just these scripts")
    args = p.parse_args(argv)
    scripts = args.only or QUESTIONS + (MORE if args.all else [])
    reports, failed = {}, []
    for script in scripts:
        command = [sys.executable, "-m", f"bench.{script}", *(["--quick"] if args.quick else []),
                   *(["--json"] if args.json else [])]
        done = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        if done.returncode != 0:
            failed.append(script)
            print(f"error: bench.{script} exited with {done.returncode}", file=sys.stderr)
            continue
        if args.json:
            reports[script] = json.loads(done.stdout)
        else:
            print(done.stdout)
    if args.json:
        print(json.dumps(reports))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
