"""``tuiarena models``: every model discovery found, with its endpoint, source and price."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tuiarena.commands._args import add_json


def add_parser(sub) -> None:
    p = sub.add_parser(
        "models",
        help="list the models discovery found, with prices",
        description="List the models of every configured, env-key and local endpoint (and the offline "
        "demo models) with their price in USD per 1M input/output tokens. Notes go to stderr. "
        "Exit 1 when an endpoint could not list its models.",
    )
    add_json(p, "a JSON list instead of a table")
    p.add_argument("--no-probe", action="store_true", help="do not probe loopback for local servers")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    return asyncio.run(_run(args))


def _endpoint_source(registry, name: str, demo: bool) -> str:
    if demo or name == "demo":
        return "demo"
    endpoints = getattr(registry, "endpoints", None)
    spec = endpoints.get(name) if isinstance(endpoints, dict) else None
    return getattr(spec, "source", None) or "?"


def _base_url(registry, name: str) -> str | None:
    endpoints = getattr(registry, "endpoints", None)
    spec = endpoints.get(name) if isinstance(endpoints, dict) else None
    return getattr(spec, "base_url", None)


async def _run(args: argparse.Namespace) -> int:
    import json

    from tuiarena import fmt
    from tuiarena.engine.workspace import open_workspace

    ws = await open_workspace(probe_local=not args.no_probe)
    try:
        for note in ws.notes:
            print(f"tuiarena: {note}", file=sys.stderr)
        models, errors = await ws.registry.list_models()
    finally:
        await ws.aclose()
    for name, message in sorted(errors.items()):
        print(f"tuiarena: endpoint {name}: {message}", file=sys.stderr)

    rows: list[dict[str, Any]] = []
    for info in sorted(models, key=lambda m: (m.demo or m.endpoint == "demo", m.endpoint, m.model)):
        price = ws.pricing.get(info.id)
        demo = bool(info.demo or info.endpoint == "demo")
        rows.append(
            {
                "id": info.id,
                "endpoint": info.endpoint,
                "model": info.model,
                "source": _endpoint_source(ws.registry, info.endpoint, demo),
                "demo": demo,
                "input_per_m": price.input_per_m if price else None,
                "output_per_m": price.output_per_m if price else None,
                "price_source": price.source if price else "unknown",
                "context_length": info.context_length,
                "base_url": _base_url(ws.registry, info.endpoint),
            }
        )

    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        print("no models found (add [endpoints.NAME] to config.toml or set OPENAI_API_KEY etc.)")
    else:
        headers = ["Model", "Endpoint", "Source", "In $/1M", "Out $/1M", "Price"]
        table = []
        for r in rows:
            unknown = r["input_per_m"] is None
            table.append(
                [
                    r["id"] + (" (demo, offline)" if r["demo"] else ""),
                    r["endpoint"],
                    r["source"],
                    "unknown" if unknown else fmt.price_per_m(r["input_per_m"]),
                    "unknown" if unknown else fmt.price_per_m(r["output_per_m"]),
                    r["price_source"],
                ]
            )
        print(fmt.table(headers, table, right={3, 4}))
        urls = {r["endpoint"]: r["base_url"] for r in rows if r["base_url"]}
        if urls:
            print("\n" + "\n".join(f"{name}: {fmt.visible(url)}" for name, url in sorted(urls.items())))
    return 1 if errors else 0
