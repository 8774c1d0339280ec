#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""shares.py FILE_OR_DIR... [--vs FILE_OR_DIR...]: the byte composition
of session logs, to compare bench/gen.py's corpus with the real one
(tests/corpus). Reads every *.jsonl and *.json file under the arguments,
tells the provider of each file from its records, and prints per
provider the share of bytes

  Claude  per record type, per top-level field, per progress data.type
          and per toolUseResult kind;
  Codex   per type/payload.type;
  Gemini  per record (message) type, per field of a message and per
          field of a tool call.

A line's bytes count its newline; a field's bytes are its compact JSON
"key":value; "(keys, punctuation)" is what is left of the lines. Lines
that do not parse count as "(bad line)". With --vs, Markdown tables put
the shares of the paths before it (first) next to those after it
(second), rows of 0.5 % and more:

  bench/shares.py tests/corpus --vs /tmp/corpus"""
import collections
import json
import os
import sys


def files(args):
    for a in args:
        if os.path.isdir(a):
            for d, _, names in sorted(os.walk(a)):
                for n in sorted(names):
                    if n.endswith((".jsonl", ".json")):
                        yield os.path.join(d, n)
        else:
            yield a


def size(k, v):
    return len(json.dumps({k: v}, ensure_ascii=False, separators=(",", ":")).encode()) - 2


def tool_result_kind(v):
    if isinstance(v, dict):
        if "originalFile" in v or "structuredPatch" in v:
            return "edit"
        if v.get("type") == "text" and "file" in v:
            return "read"
        if "stdout" in v:
            return "bash"
        if "agentId" in v or "totalDurationMs" in v or "totalTokens" in v:
            return "task/agent"
        if "filenames" in v or "numFiles" in v:
            return "glob/grep"
        if "todos" in v or "newTodos" in v or "oldTodos" in v:
            return "todo"
        return "other object"
    if isinstance(v, str):
        return "string"
    return "other"


class Tally:
    def __init__(self):
        self.total, self.files = 0, 0
        self.tables = collections.OrderedDict()

    def add(self, table, key, n):
        t = self.tables.setdefault(table, collections.Counter())
        t[key] += n


def provider_of(rec):
    if "payload" in rec and "type" in rec:
        return "codex"
    if "projectHash" in rec or "$set" in rec or rec.get("type") in ("gemini", "info", "warning", "error"):
        return "gemini"
    if "messages" in rec and "sessionId" in rec and "uuid" not in rec:
        return "gemini"
    return "claude"


def claude_line(t, rec, n):
    typ = str(rec.get("type"))
    t.add("record type", typ, n)
    used = 0
    for k, v in rec.items():
        s = size(k, v)
        used += s
        t.add("top-level field", k, s)
    t.add("top-level field", "(keys, punctuation)", n - used)
    if typ == "progress" and isinstance(rec.get("data"), dict):
        t.add("progress data.type (of all bytes)", str(rec["data"].get("type")), n)
    if "toolUseResult" in rec:
        t.add("toolUseResult kind (of all bytes)", tool_result_kind(rec["toolUseResult"]),
              size("toolUseResult", rec["toolUseResult"]))
    if typ == "assistant" and isinstance(rec.get("message"), dict):
        c = rec["message"].get("content")
        if isinstance(c, list) and c and isinstance(c[0], dict):
            t.add("assistant line by first block (of all bytes)", str(c[0].get("type")), n)


def codex_line(t, rec, n):
    p = rec.get("payload")
    pt = p.get("type") if isinstance(p, dict) else None
    t.add("type/payload.type", "%s/%s" % (rec.get("type"), pt) if pt else str(rec.get("type")), n)


def gemini_message(t, m, n):
    typ = str(m.get("type")) if isinstance(m, dict) else "(not an object)"
    t.add("record type", typ, n)
    if isinstance(m, dict):
        for k, v in m.items():
            t.add("message field", "%s.%s" % (typ, k), size(k, v))
        for c in m.get("toolCalls") or []:
            if isinstance(c, dict):
                for k, v in c.items():
                    t.add("toolCalls field", k, size(k, v))


def gemini_record(t, rec, n):
    if "$set" in rec:
        msgs = rec["$set"].get("messages") if isinstance(rec["$set"], dict) else None
        rest = n
        for m in msgs or []:
            s = len(json.dumps(m, ensure_ascii=False, separators=(",", ":")).encode())
            gemini_message(t, m, s)
            rest -= s
        t.add("record type", "$set (rest)", rest)
    elif "type" in rec:
        gemini_message(t, rec, n)
    else:
        t.add("record type", "(header)", n)


def tally_of(paths):
    """{provider: Tally} over every log file under paths"""
    tally = collections.OrderedDict((p, Tally()) for p in ("claude", "codex", "gemini"))
    for path in files(paths):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            sys.exit("shares.py: cannot read %s: %s" % (path, e.strerror))
        if path.endswith(".json"):
            try:
                doc = json.loads(data)
            except ValueError:
                doc = None
            if isinstance(doc, dict) and isinstance(doc.get("messages"), list):
                t = tally["gemini"]
                t.files += 1
                t.total += len(data)
                rest = len(data)
                for m in doc["messages"]:
                    s = len(json.dumps(m, ensure_ascii=False, separators=(",", ":")).encode())
                    gemini_message(t, m, s)
                    rest -= s
                # whitespace of a pretty-printed file and the header
                t.add("record type", "(header, indentation)", rest)
                continue
        prov = None
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        recs = []
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError:
                rec = None
            if not isinstance(rec, dict):
                rec = None
            if prov is None and rec is not None:
                prov = provider_of(rec)
            recs.append((rec, len(line) + 1))
        t = tally[prov or "claude"]
        t.files += 1
        for rec, n in recs:
            t.total += n
            if rec is None:
                t.add("record type", "(bad line)", n)
            elif prov == "claude":
                claude_line(t, rec, n)
            elif prov == "codex":
                codex_line(t, rec, n)
            else:
                gemini_record(t, rec, n)
    return tally


def show(tally):
    for prov, t in tally.items():
        if not t.total:
            continue
        print("## %s: %d files, %.2f MB" % (prov, t.files, t.total / 1e6))
        for name, counts in t.tables.items():
            print("  %s:" % name)
            for k, n in counts.most_common():
                if n * 1000 >= t.total:  # 0.1 % and more
                    print("    %5.1f %%  %s" % (100.0 * n / t.total, k))
        print()


def compare(a, b, na, nb):
    """Markdown tables, a's shares next to b's"""
    for prov in a:
        ta, tb = a[prov], b[prov]
        if not ta.total and not tb.total:
            continue
        print("### %s: %s %.1f MB, %s %.1f MB\n" % (prov, na, ta.total / 1e6, nb, tb.total / 1e6))
        for name in list(ta.tables) + [x for x in tb.tables if x not in ta.tables]:
            ca, cb = ta.tables.get(name, {}), tb.tables.get(name, {})
            share = lambda t, c, k: 100.0 * c.get(k, 0) / t.total if t.total else 0.0
            keys = sorted(set(ca) | set(cb), key=lambda k: -max(share(ta, ca, k), share(tb, cb, k)))
            keys = [k for k in keys if max(share(ta, ca, k), share(tb, cb, k)) >= 0.5]
            if not keys:
                continue
            print("| %s | %s %% | %s %% |\n|---|---:|---:|" % (name, na, nb))
            for k in keys:
                print("| %s | %.1f | %.1f |" % (k, share(ta, ca, k), share(tb, cb, k)))
            print()


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        sys.exit(__doc__)
    if "--vs" in args:
        i = args.index("--vs")
        if i == 0 or i == len(args) - 1:
            sys.exit("shares.py: --vs needs paths on both sides: shares.py REAL... --vs GENERATED...")
        compare(tally_of(args[:i]), tally_of(args[i + 1:]), "first", "second")
    else:
        show(tally_of(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
