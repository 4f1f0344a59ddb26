#!/usr/bin/env python3
"""Load benchmark: how long the site takes to load, check, render and
index N generated articles of realistic size, how much memory it holds at
its peak, and how fast search answers over them.

Usage: python3 tests/bench/load.py [N ...]   (default: 1000 10000)
Needs a release build (cargo build --release). Prints one row per N.

The generated folder carries the real glossary (its links to the real
articles emptied), so every body goes through the term linker. After
`check`, the site is served from the same folder (one tokio worker, pinned
to one core when taskset exists) and /search is asked one-word and
three-word queries, one at a time over one keep-alive connection; the
table gives p50 and p99 of each kind, measured by the client.
"""
import http.client
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

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

    glossary = os.path.join(ROOT, "content", "glossary.toml")
    if os.path.exists(glossary):
        with open(glossary, encoding="utf-8") as f:
            terms = re.sub(r"(?m)^see = \[.*?\]", "see = []", f.read(), flags=re.S)
        with open(os.path.join(folder, "glossary.toml"), "w", encoding="utf-8") as f:
            f.write(terms)

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


# One-word and three-word queries: common and rare words of the generated
# text, stems, a typo, and words no article has.
ONE_WORD = ["reconsideration", "appealing", "tribunal", "ombudsman", "negligence",
            "reconsidration", "compensation", "arrears", "judicial", "zebra"]
THREE_WORDS = ["mandatory reconsideration tribunal", "duty of care", "judicial review permission",
               "complain to ombudsman", "sue the cms", "legal aid solicitors",
               "child maintenance service", "strike out claim", "independent case examiner",
               "apeal the decision"]
QUERY_ROUNDS = 20


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def search_latency(folder):
    """Serves `folder` and times /search; returns {kind: (p50_ms, p99_ms)}."""
    port = 20000 + os.getpid() % 20000
    data = tempfile.mkdtemp(prefix="advice-load-data-")
    env = dict(os.environ, TOKIO_WORKER_THREADS="1", RUST_LOG="warn")
    command = [BIN, "--content", folder, "--data", data, "serve", "--listen", f"127.0.0.1:{port}"]
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0"] + command
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    sys.exit("the server did not start")
                time.sleep(0.2)
        results = {}
        for kind, queries in (("1 word", ONE_WORD), ("3 words", THREE_WORDS)):
            timings = []
            for round_ in range(QUERY_ROUNDS + 1):
                for query in queries:
                    path = "/search?q=" + urllib.parse.quote_plus(query)
                    start = time.perf_counter()
                    connection.request("GET", path)
                    response = connection.getresponse()
                    response.read()
                    elapsed = time.perf_counter() - start
                    if response.status != 200:
                        sys.exit(f"{path} answered {response.status}")
                    if round_ > 0:  # the first round warms caches
                        timings.append(elapsed * 1000)
            results[kind] = (percentile(timings, 50), percentile(timings, 99))
        return results
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(data, ignore_errors=True)


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
        rss = after.ru_maxrss / 1024
        return elapsed, cpu, rss, search_latency(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    print(f"{'articles':>9} {'load s':>8} {'cpu s':>8} {'ms/article':>11} {'max RSS MiB':>12}"
          f" {'search 1 word p50/p99 ms':>25} {'3 words p50/p99 ms':>19}")
    for n in sorted(sizes):
        elapsed, cpu, rss, search = measure(n)
        one, three = search["1 word"], search["3 words"]
        print(f"{n:>9} {elapsed:>8.2f} {cpu:>8.2f} {elapsed * 1000 / n:>11.2f} {rss:>12.1f}"
              f" {one[0]:>16.2f} / {one[1]:>6.2f} {three[0]:>10.2f} / {three[1]:>6.2f}")


if __name__ == "__main__":
    main()
