"""Question: threads and OpenMP waiting: how the compute floor behaves when other work shares the cores.

    .venv/bin/python -m bench.threads [--quick] [--json] [--rounds 5] [--steps 40] [--hog 1]

torch's CPU kernels run on OpenMP (GNU libgomp here), whose threads spin while they wait for each
other at the end of every parallel region. On a quiet machine that is the fastest choice; when
another process holds one of the cores (the Streamlit server drawing a chart, the browser, a
second run), the spinning thread burns its time slice waiting for the descheduled one, and a
two-thread step can become many times slower than a one-thread step. The waiting policy is read
when libgomp loads, so each variant is a fresh process with its own environment.

Each variant: a fresh process trains lenet-classic on one prepared batch of 256 (the compute
floor) for --steps steps after a warm-up and prints examples/sec; variants are interleaved and
medians quoted. --hog N runs N busy Python processes meanwhile (a stand-in for other work), each
busy --duty of every second (0.1 is about what a page redrawing a chart once a second costs).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

from bench.common import ROOT, Report, at_least, emit, fmt, load_average, parser

FLOOR = """
import sys, time, torch, torch.nn.functional as F
from lenet_core.model.architectures import build_model
steps = int(sys.argv[1])
torch.manual_seed(0)
model = build_model("lenet-classic", init="xavier").to(memory_format=torch.channels_last)
x = torch.randn(256, 1, 28, 28).contiguous(memory_format=torch.channels_last)
y = torch.randint(0, 10, (256,))
optimizer = torch.optim.SGD(model.parameters(), lr=0.9)
def step():
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
for _ in range(5):
    step()
start = time.perf_counter()
for _ in range(steps):
    step()
print(steps * 256 / (time.perf_counter() - start))
"""

# Busy for ``duty`` of every second, asleep for the rest (1.0: always busy). A duty of 0.1 is
# about what the Training page's live panel costs while it redraws once a second.
HOG = """
import sys, time
duty = float(sys.argv[1])
while True:
    start = time.perf_counter()
    while time.perf_counter() - start < duty:
        pass
    time.sleep(max(0.0, 1.0 - duty))
"""

VARIANTS = {
    "2 threads, spin (default)": {"OMP_NUM_THREADS": "2"},
    "2 threads, GOMP_SPINCOUNT=10000": {"OMP_NUM_THREADS": "2", "GOMP_SPINCOUNT": "10000"},
    "2 threads, OMP_WAIT_POLICY=PASSIVE": {"OMP_NUM_THREADS": "2", "OMP_WAIT_POLICY": "PASSIVE"},
    "1 thread": {"OMP_NUM_THREADS": "1"},
}


def measure(env_extra: dict[str, str], steps: int) -> float:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", FLOOR, str(steps)], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return float(out.split()[-1])


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--rounds", type=at_least(1), default=None, help="default 5 (--quick 1)")
    p.add_argument("--steps", type=at_least(1), default=None,
                   help="timed steps per measurement (default 40; --quick 10)")
    p.add_argument("--hog", type=at_least(0), default=0, help="busy processes running meanwhile")
    p.add_argument("--duty", type=float, default=1.0,
                   help="share of each second a busy process computes (default 1: always)")
    args = p.parse_args(argv)
    rounds, steps = args.rounds or (1 if args.quick else 5), args.steps or (10 if args.quick else 40)
    hogs = [subprocess.Popen([sys.executable, "-c", HOG, str(args.duty)]) for _ in range(args.hog)]
    try:
        rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
        for _ in range(rounds):
            for name, env in VARIANTS.items():
                rates[name].append(measure(env, steps))
    finally:
        for hog in hogs:
            hog.terminate()
            hog.wait()
    out = Report("Threads: the compute floor when other work shares the cores",
                 f"lenet-classic, batch 256, {steps} steps, {rounds} interleaved rounds, {args.hog} busy "
                 f"process(es) alongside (busy {args.duty:.0%} of each second); load average "
                 f"{fmt(load_average(), '.1f')}")
    base = statistics.median(rates["2 threads, spin (default)"])
    for name, values in rates.items():
        med = statistics.median(values)
        out.row(f"{name} (examples/s)", f"{med:,.0f} ({med / base:.2f}× the default)",
                f"min {min(values):,.0f}, max {max(values):,.0f}")
        out.figures[name] = med
    emit(out, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
