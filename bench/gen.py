#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""gen.py OUT MB [PROVIDERS] [LINES]: write a deterministic synthetic corpus
of about MB megabytes of session logs laid out as each provider does:

  OUT/claude/-home-u-projN/<uuid>.jsonl                      Claude Code
  OUT/codex/2025/10/DD/rollout-2025-10-DDT..-<uuid>.jsonl     Codex CLI
  OUT/gemini/<hash>/chats/session-2025-10-DDT..-<id>.jsonl    Gemini CLI

PROVIDERS is a comma list (default claude,codex,gemini: the bytes are
split evenly). LINES is the number of records per session (default 500),
so the number of sessions follows from the size. Every session alternates
user prompts, assistant text, tool calls and tool results; one result in
about forty is long (20-200 KB), text mixes ASCII with accents, CJK and
emoji, and every timestamp is in 2025 (history: no command runs). The same
arguments always give byte-identical files."""
import json
import os
import random
import sys

WORDS = ("the of and to in is that for it as with was on be by this are or from at an "
         "function return value error file line test build kato store event session "
         "parse buffer commit cursor thread queue writer worker batch json stream "
         "café naïve résumé über straße 日本語 テスト 中文 한국어 ✓ → ★ 🚀 🙂 ∑ λ").split()


def text(r, n):
    return " ".join(r.choice(WORDS) for _ in range(n))


def long_output(r):
    n = r.randint(20_000, 200_000)
    out, size = [], 0
    while size < n:
        s = "%6d  %s\n" % (len(out) + 1, text(r, 12))
        out.append(s)
        size += len(s)
    return "".join(out)


def result_text(r):
    return long_output(r) if r.random() < 0.025 else text(r, r.randint(5, 400))


def uuid(r):
    h = "%032x" % r.getrandbits(128)
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def stamp(t):
    s, ms = divmod(t, 1000)
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return "2025-10-%02dT%02d:%02d:%02d.%03dZ" % (1 + d % 28, h, m, s, ms)


def dump(o):
    return json.dumps(o, ensure_ascii=False, separators=(",", ":")) + "\n"


def claude(r, sid, t, lines):
    cwd = "/home/u/proj%d" % r.randint(1, 40)
    base = {"isSidechain": False, "userType": "external", "cwd": cwd, "sessionId": sid,
            "version": "2.0.24", "gitBranch": "main"}
    parent, out, tool = None, [], None
    for i in range(lines):
        t += r.randint(200, 20_000)
        u = uuid(r)
        k = i % 4
        if k == 0:
            rec = {"type": "user", "message": {"role": "user", "content": text(r, r.randint(3, 80))}}
        elif k == 1:
            rec = {"type": "assistant", "message": {
                "model": "claude-sonnet-4-5-20250929", "id": "msg_%024x" % r.getrandbits(96),
                "type": "message", "role": "assistant",
                "content": [{"type": "text", "text": text(r, r.randint(10, 300))}],
                "stop_reason": None, "usage": {"input_tokens": r.randint(1, 9999), "output_tokens": r.randint(1, 999)}}}
        elif k == 2:
            tool = "toolu_%024x" % r.getrandbits(96)
            rec = {"type": "assistant", "message": {
                "model": "claude-sonnet-4-5-20250929", "id": "msg_%024x" % r.getrandbits(96),
                "type": "message", "role": "assistant",
                "content": [{"type": "tool_use", "id": tool, "name": "Bash",
                             "input": {"command": "grep -rn %s src" % r.choice(WORDS), "description": text(r, 6)}}]}}
        else:
            rec = {"type": "user", "message": {"role": "user", "content": [
                {"tool_use_id": tool, "type": "tool_result", "content": result_text(r), "is_error": False}]}}
        rec.update(base)
        rec.update({"parentUuid": parent, "uuid": u, "timestamp": stamp(t)})
        parent = u
        out.append(dump(rec))
    return out


def codex(r, sid, t, lines):
    out = [dump({"timestamp": stamp(t), "type": "session_meta", "payload": {
        "id": sid, "timestamp": stamp(t), "cwd": "/home/u/proj%d" % r.randint(1, 40),
        "originator": "codex_cli_rs", "cli_version": "0.47.0", "instructions": None, "source": "cli"}})]
    call = None
    for i in range(1, lines):
        t += r.randint(200, 20_000)
        k = i % 4
        if k == 0:
            p = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text(r, r.randint(3, 80))}]}
        elif k == 1:
            p = {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text(r, r.randint(10, 300))}]}
        elif k == 2:
            call = "call_%024x" % r.getrandbits(96)
            p = {"type": "function_call", "name": "shell", "call_id": call,
                 "arguments": json.dumps({"command": ["bash", "-lc", "grep -rn %s src" % r.choice(WORDS)]})}
        else:
            p = {"type": "function_call_output", "call_id": call,
                 "output": json.dumps({"output": result_text(r), "metadata": {"exit_code": 0}}, ensure_ascii=False)}
        out.append(dump({"timestamp": stamp(t), "type": "response_item", "payload": p}))
    return out


def gemini(r, sid, t, lines):
    out = [dump({"sessionId": sid, "projectHash": "%064x" % r.getrandbits(256), "startTime": stamp(t),
                 "lastUpdated": stamp(t), "kind": "main"})]
    for i in range(1, lines):
        t += r.randint(200, 20_000)
        if i % 2:
            rec = {"id": "u-%d" % i, "timestamp": stamp(t), "type": "user", "content": [{"text": text(r, r.randint(3, 80))}]}
        else:
            call = "run_shell_command_%d" % i
            rec = {"id": "g-%d" % i, "timestamp": stamp(t), "type": "gemini", "content": text(r, r.randint(10, 300)),
                   "thoughts": [], "model": "gemini-2.5-pro",
                   "tokens": {"input": r.randint(1, 9999), "output": r.randint(1, 999), "cached": 0, "thoughts": 0, "tool": 0, "total": 1},
                   "toolCalls": [{"id": call, "name": "run_shell_command", "args": {"command": "ls"},
                                  "result": [{"functionResponse": {"id": call, "name": "run_shell_command",
                                                                   "response": {"output": result_text(r)}}}],
                                  "status": "success", "timestamp": stamp(t)}]}
        out.append(dump(rec))
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    outdir, mb = sys.argv[1], float(sys.argv[2])
    provs = (sys.argv[3] if len(sys.argv) > 3 else "claude,codex,gemini").split(",")
    lines = int(sys.argv[4]) if len(sys.argv) > 4 else 500
    share = int(mb * 1e6 / len(provs))
    for prov in provs:
        r = random.Random("kato-bench-" + prov)
        written, n = 0, 0
        while written < share:
            sid = uuid(r)
            t = (n * 7919 % (27 * 86400)) * 1000
            day = 1 + (t // 86400000) % 28
            if prov == "claude":
                path = os.path.join(outdir, "claude", "-home-u-proj%d" % (n % 50), sid + ".jsonl")
                recs = claude(r, sid, t, lines)
            elif prov == "codex":
                path = os.path.join(outdir, "codex", "2025", "10", "%02d" % day,
                                    "rollout-2025-10-%02dT00-00-%02d-%s.jsonl" % (day, n % 60, sid))
                recs = codex(r, sid, t, lines)
            elif prov == "gemini":
                path = os.path.join(outdir, "gemini", "%064x" % (n % 30), "chats",
                                    "session-2025-10-%02dT00-%02d-%s.jsonl" % (day, n % 60, sid[:8]))
                recs = gemini(r, sid, t, lines)
            else:
                sys.exit("gen.py: unknown provider %s (claude, codex or gemini)" % prov)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            data = "".join(recs).encode()
            if written + len(data) > share and n > 0:
                break  # the size is reached: no truncated last session
            with open(path, "wb") as f:
                f.write(data)
            written += len(data)
            n += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
