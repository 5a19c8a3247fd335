"""``tradeguard network``: build the party graph from declarations; show one party's cluster."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tradeguard.cli._common import EXIT_FAILED, EXIT_USAGE, fail, print_json, require_history_pair

if TYPE_CHECKING:
    import polars as pl

network_app = typer.Typer(help="Party networks: entity resolution and cluster findings.",
                          no_args_is_help=True)
_TABLES = ("records", "links", "occurrences")


@network_app.command("build")
def build(
    out: Annotated[Path, typer.Option("--out", help="Folder for the graph and findings.")],
    entries: Annotated[Path | None, typer.Option("--entries", help="Contract entries.")] = None,
    lines: Annotated[Path | None, typer.Option("--lines", help="Contract lines.")] = None,
    packages: Annotated[Path | None, typer.Option("--packages", help="Contract packages.")
                        ] = None,
    history_entries: Annotated[Path | None, typer.Option("--history-entries")] = None,
    history_lines: Annotated[Path | None, typer.Option("--history-lines")] = None,
    outcomes: Annotated[Path | None, typer.Option("--outcomes", help="Past exam outcomes.")
                        ] = None,
) -> None:
    """Resolve parties into clusters and write records, links and network findings."""
    from tradeguard.cli._common import write_table
    from tradeguard.cli.packages import read_contract_file
    from tradeguard.network import build_network

    if (entries is None) != (lines is None):
        fail("--entries and --lines go together", EXIT_USAGE)
    require_history_pair(history_entries, history_lines)
    if entries is None and packages is None:
        fail("give --entries with --lines, or --packages", EXIT_USAGE)
    qdir = out / "quarantine"

    def read(path: Path | None, kind: str) -> pl.DataFrame | None:
        return None if path is None else read_contract_file(path, kind, qdir)[0]

    frames = {k: read(p, kind) for k, p, kind in (
        ("entries", entries, "entries"), ("lines", lines, "lines"),
        ("packages", packages, "packages"), ("history_entries", history_entries, "entries"),
        ("history_lines", history_lines, "lines"), ("outcomes", outcomes, "outcomes"))}
    net = build_network(frames["entries"], frames["lines"], frames["packages"],
                        history_entries=frames["history_entries"],
                        history_lines=frames["history_lines"], outcomes=frames["outcomes"])
    out.mkdir(parents=True, exist_ok=True)
    for name in _TABLES:
        getattr(net, name).write_parquet(out / f"{name}.parquet")
    write_table(net.findings, out / "findings.csv")
    clusters = net.records.group_by("cluster").len()
    print_json({"records": net.records.height, "links": net.links.height,
                "clusters": clusters.height,
                "multi_record_clusters": clusters.filter(clusters["len"] > 1).height,
                "findings": dict(net.findings.group_by("reason_code").len().iter_rows()),
                "out": str(out)})


@network_app.command("show")
def show(
    party: Annotated[str, typer.Argument(help="Record id, identifier (importer no., MID) or "
                                              "part of a name.")],
    graph: Annotated[Path, typer.Option("--graph", help="Folder written by network build.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a tree.")
                       ] = False,
) -> None:
    """Print the cluster of a party: members, the links that joined them, findings."""
    import polars as pl

    from tradeguard.network import PartyNetwork, cluster_summary, find_party

    missing = [n for n in (*_TABLES, "findings") if not any(graph.glob(f"{n}.*"))]
    if missing:
        fail(f"{graph}: not a network folder (missing {', '.join(missing)}); run network "
             "build first", EXIT_FAILED)
    tables = {n: pl.read_parquet(graph / f"{n}.parquet") for n in _TABLES}
    findings = pl.read_csv(graph / "findings.csv", schema_overrides={"line_number": pl.Int64})
    net = PartyNetwork(findings=findings, **tables)
    hits = find_party(net.records, party)
    if hits.is_empty():
        fail(f"no party matches {party!r}", EXIT_FAILED)
    summaries = [cluster_summary(net, c) for c in hits["cluster"].unique().sort().to_list()[:5]]
    if as_json:
        print_json(summaries)
        return
    from rich.console import Console
    from rich.tree import Tree

    console = Console()
    for s in summaries:
        tree = Tree(f"[bold]cluster[/] {s['cluster']}  ({s['entries']} entries, "
                    f"{s['packages']} packages)")
        members = tree.add(f"members ({len(s['members'])})")
        for m in s["members"]:
            members.add(f"{m['kind']}: {m['name']} | {m['address'] or '-'} | "
                        f"{m['country'] or '-'} | {m['identifier'] or '-'} "
                        f"({m['declarations']} declarations)")
        links = tree.add(f"links ({len(s['links'])})")
        for edge in s["links"]:
            links.add(f"{edge['left']} <-> {edge['right']}: p={edge['probability']} "
                      f"(name {edge['name']}, address {edge['address']}, "
                      f"id {edge['identifier']})")
        found = tree.add(f"findings ({len(s['findings'])})")
        for f in s["findings"]:
            found.add(f"{f['reason_code']} x{f['count']}: {f['text']}")
        console.print(tree)


def register(app: typer.Typer) -> None:
    """Add the ``network`` command group."""
    app.add_typer(network_app, name="network")
