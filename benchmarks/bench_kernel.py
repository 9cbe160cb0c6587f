"""Run the kernel benchmark (same as `ustsim bench`); see README.md here."""

import argparse

from engine.bench import run_bench

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--paths", type=int, default=100_000)
    p.add_argument("--steps", type=int, default=120)
    p.add_argument("--threads", type=int)
    p.add_argument("--json")
    a = p.parse_args()
    run_bench(paths=a.paths, steps=a.steps, threads=a.threads, json_path=a.json)
