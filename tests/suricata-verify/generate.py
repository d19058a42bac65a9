#!/usr/bin/env python3
"""Builds expectations.json from the suricata-verify inventory.

Inputs (the shared reference material beside the repo):
  ../shared/docs/suricata-verify-inventory.jsonl  (rules and checks of 80 tests)
  pcaps/public/SOURCES.tsv                        (flow names seen in each capture)
Output: tests/suricata-verify/expectations.json, one object per test:
  dir, category, what, expected, origin, requires, ips, rules (file -> text),
  pcap (repo path or null), flows ([{flow, proto, names}]), sid_checks
  ([{sid, count}] for checks that only count alerts of one signature), checks
  (the raw test.yaml checks, for the replay-based check).
Run from the repo root: python3 tests/suricata-verify/generate.py
"""
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
inventory = os.environ.get(
    "SURICATA_VERIFY_INVENTORY",
    os.path.join(root, "..", "shared", "docs", "suricata-verify-inventory.jsonl"),
)

flows_by_pcap = {}
with open(os.path.join(root, "pcaps", "public", "SOURCES.tsv")) as f:
    header = f.readline().rstrip("\n").split("\t")
    for line in f:
        row = dict(zip(header, line.rstrip("\n").split("\t")))
        flows = []
        for part in filter(None, (p.strip() for p in row.get("flow_names", "").split(";"))):
            ids, _, kv = part.partition(": ")
            kind, _, names = kv.partition("=")
            for flow in ids.split(","):
                proto = {"sni": "quic" if flow.startswith("udp") else "tls", "host": "http", "dns": "dns"}[kind]
                flows.append({"flow": flow, "proto": proto, "names": names.split(",")})
        flows_by_pcap[row["file"]] = flows

tests = []
with open(inventory) as f:
    for line in f:
        d = json.loads(line)
        pcap = d.get("pcap_copy")
        sid_checks = []
        for check in d.get("checks") or []:
            flt = check.get("filter") or {}
            match = flt.get("match") or {}
            if set(match) == {"event_type", "alert.signature_id"} and match["event_type"] == "alert" and "requires" not in flt:
                sid_checks.append({"sid": match["alert.signature_id"], "count": flt.get("count")})
        tests.append({
            "dir": d["dir"],
            "category": d["category"],
            "what": d["what_it_checks"],
            "expected": d["expected_summary"],
            "origin": d["origin"],
            "requires": d.get("requires"),
            "ips": bool(d.get("simulate_ips")),
            "rules": d.get("rules") or {},
            "pcap": f"pcaps/public/{pcap}" if pcap else None,
            "flows": flows_by_pcap.get(pcap, []) if pcap else [],
            "sid_checks": sid_checks,
            "checks": d.get("checks") or [],
        })

with open(os.path.join(here, "expectations.json"), "w") as f:
    json.dump(tests, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(f"{len(tests)} tests", file=sys.stderr)
