"""Full build of a synthetic corpus: the render service vs Hugo, same machine, same corpus.

    python -m bench.render_vs_hugo [--quick] [--articles N] [--processes 1,2] [--hugo-limit S]

Ours: a fresh read model (SQLite, built by the real migrations) is loaded with the corpus:
snapshots, tags and listing membership, and nothing else (no stored related lists, no page
files). Then every page is rendered as `healthhub render --all` renders it (rebuild.run_batch:
all article pages with their related lists ranked, home, category and tag pages, feed,
sitemap shards, static pages), with N worker processes (each its own SQLite connection,
batches of 200 as the command sends): the **cold** build. The same run again over the built
site is the **warm** re-render (a template change: related lists are stored by then). All of
it runs in a child process of its own (bench/cold_build.py says why). Each render process
(spawned, so it holds none of the bench's corpus) reports its own peak resident memory
(VmHWM of /proc/self/status: not ru_maxrss, which Linux carries across the exec of a spawned
child from the forked copy of its parent, so every process would report at least the bench's
own peak, corpus included).
Hugo: Debian's `hugo` builds the same corpus as Markdown with the templates in bench/hugo
(breadcrumb, TOC, reading time, review box, references, JSON-LD, related, paginated
sections and tags, sitemap, RSS), using every core, from an empty output directory: a cold
build (Hugo keeps no state between builds). Hugo is installed with apt-get when missing.
Figures are wall-clock seconds of one run each, ours and Hugo's in the same invocation.
With a time limit (`--hugo-limit`, which `make bench-large` sets), a Hugo build still running
at the limit is stopped and recorded as unfinished: its figure is then the limit, a lower
bound on Hugo's time, and the ratio beside it an upper bound on ours / Hugo's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import cold_build
from bench.corpus import make_corpus
from bench.rows import upper_bound
from shared.contracts import ArticleSnapshot

HUGO_DIR = Path(__file__).parent / "hugo"
CSS = Path(__file__).resolve().parents[1] / "services" / "render" / "templates" / "site.css"


def ensure_hugo() -> str:
    found = shutil.which("hugo")
    if found:
        return found
    print("hugo not found: installing Debian's hugo with apt-get …", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "hugo"], check=True)
    found = shutil.which("hugo")
    if not found:
        raise SystemExit("hugo is still missing after apt-get install")
    return found


def write_hugo_site(corpus: list[ArticleSnapshot], root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(HUGO_DIR, root)
    shutil.copy(CSS, root / "site.css")
    for ref in {a.category.slug: a.category for a in corpus}.values():
        section = root / "content" / ref.slug
        section.mkdir(parents=True, exist_ok=True)
        (section / "_index.md").write_text(json.dumps({"title": ref.name}) + "\n")
    for a in corpus:
        front = {
            "title": a.title,
            "description": a.summary,
            "date": a.published_at.isoformat() if a.published_at else None,
            "lastmod": a.updated_at.isoformat(),
            "tags": list(a.tags),
            "authors": list(a.authors),
            "reviewer": a.reviewed_by,
            "last_reviewed": a.last_reviewed.isoformat() if a.last_reviewed else None,
            "references": [r.model_dump() for r in a.references],
            "id": a.id,
            "slug": a.slug,
        }
        # JSON front matter: Hugo reads it natively, and json.dumps escapes everything.
        (root / "content" / a.category.slug / f"{a.slug}.md").write_text(
            json.dumps(front) + "\n\n" + a.body
        )


@dataclass(frozen=True)
class HugoBuild:
    seconds: float  # the build's wall time, or the limit it was stopped at
    files: int  # files in its output folder when it finished or was stopped
    finished: bool


def hugo(hugo_bin: str, root: Path, limit_s: float | None = None) -> HugoBuild:
    """One cold Hugo build; stopped (and marked unfinished) if it runs past ``limit_s``."""
    out = root / "public"
    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.Popen([hugo_bin, "--quiet", "-s", str(root), "-d", str(out)])
    try:
        code = proc.wait(timeout=limit_s)
    except subprocess.TimeoutExpired:
        assert limit_s is not None
        _stop(proc)  # before counting its files (the finally runs after the return value)
        return HugoBuild(limit_s, _files(out), finished=False)
    finally:
        _stop(proc)  # also on Ctrl-C or any error: never leave a Hugo build running
    elapsed = time.perf_counter() - start
    if code != 0:
        raise subprocess.CalledProcessError(code, proc.args)
    return HugoBuild(elapsed, _files(out), finished=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _files(folder: Path) -> int:
    return sum(1 for p in folder.rglob("*") if p.is_file())


def run(
    quick: bool = False,
    articles: int | None = None,
    processes: tuple[int, ...] = (2,),
    hugo_limit_s: float | None = None,
) -> dict[str, float]:
    """The figures, for printing or for a `make bench` runner."""
    n = articles or (1_000 if quick else 10_000)
    corpus = make_corpus(n)
    hugo_bin = ensure_hugo()
    figures: dict[str, float] = {"articles": float(n)}
    with tempfile.TemporaryDirectory(prefix="hh-bench-") as tmp:
        base = Path(tmp)
        write_hugo_site(corpus, base / "hugo")
        for p in processes:
            f = cold_build.in_own_process(n, base / f"ours{p}", p)
            figures[f"render_cold_{p}proc_s"] = round(f["cold"], 2)
            figures[f"render_warm_{p}proc_s"] = round(f["warm"], 2)
            figures[f"render_cold_{p}proc_peak_rss_mb"] = round(f["cold_peak_rss_mb"], 1)
            figures["render_files"] = f["files"]
            shutil.rmtree(base / f"ours{p}")
        built = hugo(hugo_bin, base / "hugo", hugo_limit_s)
        # The anchor must build the same site: every live article's page (a future-dated
        # one would be left out without buildFuture, and the anchor would be a smaller site).
        public = base / "hugo" / "public"
        missing = [
            a.slug for a in corpus
            if a.is_live and not (public / a.category.slug / a.slug / "index.html").is_file()
        ]  # fmt: skip
        if missing and built.finished:
            raise RuntimeError(f"Hugo left out {len(missing)} live article(s), e.g. {missing[:3]}")
    figures["hugo_s"] = round(built.seconds, 2)
    figures["hugo_files"] = float(built.files)
    figures["hugo_finished"] = 1.0 if built.finished else 0.0
    # Against an unfinished Hugo the ratio is an upper bound, so it is rounded up: "< 0.35"
    # must never print for a true 0.352.
    to_2dp = round if built.finished else upper_bound
    for p in processes:
        figures[f"cold_{p}proc_vs_hugo"] = to_2dp(
            figures[f"render_cold_{p}proc_s"] / built.seconds, 2
        )
        figures[f"warm_{p}proc_vs_hugo"] = to_2dp(
            figures[f"render_warm_{p}proc_s"] / built.seconds, 2
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 articles instead of 10,000")
    parser.add_argument("--articles", type=int, default=None)
    parser.add_argument("--processes", default="2", help="render process counts to time")
    parser.add_argument(
        "--hugo-limit", type=float, default=None,
        help="stop Hugo after this many seconds and record it as unfinished (a lower bound)",
    )  # fmt: skip
    args = parser.parse_args()
    processes = tuple(int(p) for p in args.processes.split(","))
    f = run(args.quick, args.articles, processes, args.hugo_limit)
    version = subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.split()[1]
    print(f"Full render of {int(f['articles']):,} articles, wall clock, this machine:")
    for p in processes:
        print(
            f"  render service  cold build, {p} process(es)  {f[f'render_cold_{p}proc_s']:8.2f} s"
        )
        print(f"  render service  warm re-render, {p} proc.   {f[f'render_warm_{p}proc_s']:8.2f} s")
        print(
            f"  render service  peak RSS of a process (cold, {p})  {f[f'render_cold_{p}proc_peak_rss_mb']:6.1f} MB"
        )
    print(
        f"  render service  files written               {int(f['render_files']):8,d}  (+ .gz copies)"
    )
    done = f["hugo_finished"] == 1.0
    bound = "" if done else "  (stopped unfinished: a lower bound)"
    print(f"  hugo {version:<10} cold build                {f['hugo_s']:8.2f} s{bound}")
    stopped = "" if done else "  (when stopped)"
    print(f"  hugo            files written               {int(f['hugo_files']):8,d}{stopped}")
    for p in processes:
        at_most = "" if done else "  (at most: Hugo did not finish)"
        print(
            f"  cold ({p} process(es)) / hugo                {f[f'cold_{p}proc_vs_hugo']:8.2f}{at_most}"
        )


if __name__ == "__main__":
    main()
