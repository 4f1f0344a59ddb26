#!/usr/bin/env python3
"""Load benchmark: how long the site takes to load, check and render N
generated articles of realistic size, and how much memory it then holds.

Usage: python3 tests/bench/load.py [N ...]   (default: 1000 10000)
Needs a release build (cargo build --release). Prints one row per N.
"""
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "target", "release", "advice-site")


def template_body():
    """The flagship article's body, so size and shape are realistic: headings
    with ids, callouts, a table, footnotes, links to other articles."""
    with open(os.path.join(ROOT, "content", "can-you-sue-the-cms.md"), encoding="utf-8") as f:
        text = f.read()
    return text.split("+++", 2)[2]


def generate(folder, n):
    body = template_body()
    # Links to the real articles become links to generated neighbours, so
    # every article is checked and cross-linked like a real one.
    # A fragment survives only if the neighbour (a copy of the same body)
    # has that heading; one meant for another real article is dropped.
    link = re.compile(r"\]\(([a-z0-9-]+)\.md(#[a-z0-9-]+)?\)")
    ids = set(re.findall(r"\{#([a-z0-9-]+)\}", body))

    def keep(fragment):
        return fragment if fragment and fragment[1:] in ids else ""

    # The generated site has articles only: links to the tools' pages (the
    # deadline checker, the letters) become their plain text.
    body = re.sub(r"\[([^\]]+)\]\(/(?:deadlines|letters)[^)]*\)", r"\1", body)

    for i in range(n):
        neighbour = f"article-{(i + 1) % n}"
        text = link.sub(lambda m: f"]({neighbour}.md{keep(m.group(2))})", body)
        related = [f"article-{(i + k) % n}" for k in (1, 2) if (i + k) % n != i]
        with open(os.path.join(folder, f"article-{i}.md"), "w", encoding="utf-8") as f:
            f.write(
                "+++\n"
                f'title = "Generated article {i}: can you challenge a decision?"\n'
                f'summary = "Generated article {i}, the size and shape of a real guide."\n'
                f"published = 2024-01-{1 + i % 28:02d}\n"
                "reviewed = 2026-11-24\n"
                'kind = "guide"\n'
                f"related = {related!r}\n".replace("'", '"')
                + "+++\n"
                + text
            )


def measure(n):
    folder = tempfile.mkdtemp(prefix=f"advice-load-{n}-")
    try:
        generate(folder, n)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        result = subprocess.run(
            [BIN, "--content", folder, "check"], cwd=ROOT, capture_output=True, text=True
        )
        elapsed = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            sys.exit(f"check failed for {n} articles:\n{result.stderr[-2000:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        # ru_maxrss of children is the largest child so far, in KiB on Linux.
        return elapsed, cpu, after.ru_maxrss / 1024
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    print(f"{'articles':>9} {'load s':>8} {'cpu s':>8} {'ms/article':>11} {'max RSS MiB':>12}")
    for n in sorted(sizes):
        elapsed, cpu, rss = measure(n)
        print(f"{n:>9} {elapsed:>8.2f} {cpu:>8.2f} {elapsed * 1000 / n:>11.2f} {rss:>12.1f}")


if __name__ == "__main__":
    main()
