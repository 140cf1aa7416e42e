"""LeNet Lab's benchmarks: one script per question, each printing a table (or ``--json``).

    .venv/bin/python -m bench [--quick] [--json] [--all]      every question, one after another
    .venv/bin/python -m bench.engine_speed [--quick] [--json] ...   one of them

The questions: engine_speed (the tutorial's loop vs our engine vs the compute floor, and the
peak memory of a training process), store_overhead (what the run store's writes and a page
reading it cost a run), inside_overhead (what looking inside the network while it learns costs
a run), canvas_latency (the Draw page's work per stroke), store_load (the
Training page's reads of a big store); with --all also step_variants, threads, data_loading,
scene_update (what the 3D view costs the server and sends: each input's values, each model's
weights), stroke_repaint (a stroke to the Draw page's 3D view repainted, in Chromium; needs
Playwright and Chromium), live_drawing (the Network in 3D page: pointer move to every unit drawn,
hover, page ready, in Chromium), browser_engines (our interpreter of the layer specs against
onnxruntime-web running the ONNX export, in Chromium; needs onnxruntime-web from scripts/setup.sh
--dev), sweep_throughput (a 4-trial sweep through the local queue and through Ray Tune),
time_to_accuracy (process start to 0.90 and 0.91 test accuracy with the best preset),
page_reruns (one rerun of each page on the server, what runs in it, and each page's load in
Chromium) and dataset_import (60,000 PNG files imported as a dataset: time and memory; its
loading for training against a built-in dataset's).
Shared helpers: ``bench.common``; engine_speed's parts: ``bench.tutorial_loop`` (its variant A)
and ``bench.memory`` (a process's peak memory). Nothing in ``lenet_core`` imports this package.
"""

QUESTIONS = ["engine_speed", "store_overhead", "inside_overhead", "canvas_latency", "store_load"]
MORE = ["step_variants", "threads", "data_loading", "scene_update", "stroke_repaint", "live_drawing",
        "browser_engines", "sweep_throughput", "time_to_accuracy", "page_reruns", "dataset_import"]
