#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""gen.py OUT MB [PROVIDERS] [LINES]: write a deterministic synthetic corpus
of about MB megabytes of session logs laid out as each provider does:

  OUT/claude/-home-u-projN/<uuid>.jsonl                      Claude Code
  OUT/codex/2025/10/DD/rollout-2025-10-DDT..-<uuid>.jsonl     Codex CLI
  OUT/gemini/<hash>/chats/session-2025-10-DDT..-<id>.jsonl    Gemini CLI

PROVIDERS is a comma list (default claude,codex,gemini: the bytes are
split evenly). LINES is the number of records per session (default 500),
so the number of sessions follows from the size.

The records have the shape and the byte composition of real logs (compare
with bench/shares.py on tests/corpus), not only what kato stores:

  Claude  prompts; assistant turns one line per content block (thinking
          with a base64 signature, text, tool_use) sharing message.id, with
          cache usage; tool results whose top-level toolUseResult
          duplicates the output (Edit: the whole original file and a
          structuredPatch; Read: the file; Bash: stdout; Grep, Glob,
          TodoWrite, WebSearch, an MCP tool; Task: the sub-agent's answer;
          a failed call: the error text); progress records (agent_progress carrying a
          sub-agent's messages and repeating its prompt, bash_progress,
          hook_progress); file-history-snapshot and system lines; per-line
          metadata (cwd, sessionId, uuid, parentUuid, slug, requestId...).
  Codex   session_meta with base instructions; per turn turn_context,
          user_message and task_started/complete events; per step
          reasoning (encrypted_content + summary) and agent_reasoning,
          function_call/function_call_output, sometimes exec_command_end
          (the output again), custom_tool_call (apply_patch), token_count
          with rate limits, agent_message duplicating the assistant text;
          turn_context again on most steps; now and then a compacted
          history.
  Gemini  JSONL (header, $set lines, user and gemini records); gemini
          records with thoughts (subject, description), tokens and
          toolCalls (args, functionResponse result, resultDisplay: a diff
          object with the original and new content for replace and
          write_file, description, displayName); a record with tool calls
          is appended twice, running then final, as the JSONL log does.

Tool outputs are mostly small; a few are long (20-200 KB): one in 40 to
70 for file reads (Claude's Read and its sub-agents' results, Gemini's
read_file), one in 100 for Claude and Gemini shell commands, one in 330
for Codex (its real logs hold fewer).
Text mixes ASCII with accents, CJK and emoji, and every timestamp is in
2025 (history: no command runs), and so is each file's modification
time. The same arguments always give byte-identical files."""
import base64
import json
import os
import random
import sys

WORDS = ("the of and to in is that for it as with was on be by this are or from at an "
         "function return value error file line test build kato store event session "
         "parse buffer commit cursor thread queue writer worker batch json stream "
         "café naïve résumé über straße 日本語 テスト 中文 한국어 ✓ → ★ 🚀 🙂 ∑ λ").split()
CODE = ("int char if else for while return static const struct size_t void NULL "
        "buf len n i j err fd ptr = == != < > ( ) { } ; , + - * & -> [ ] 0 1 "
        "kato_store ingest json_object_get cursor event parse free malloc").split()


def text(r, n):
    return " ".join(r.choice(WORDS) for _ in range(n))


def code(r, nlines):
    """a source file of nlines lines"""
    out = []
    for _ in range(nlines):
        out.append("    " * r.randint(0, 3) + " ".join(r.choice(CODE) for _ in range(r.randint(0, 9))))
    return "\n".join(out) + "\n"


def numbered(s, first=1):
    """a file as Claude's Read shows it: cat -n with an arrow"""
    return "".join("%6d→%s\n" % (first + i, x) for i, x in enumerate(s.split("\n")[:-1]))


def long_output(r):
    n = r.randint(20_000, 200_000)
    out, size = [], 0
    while size < n:
        s = "%6d  %s\n" % (len(out) + 1, text(r, 12))
        out.append(s)
        size += len(s)
    return "".join(out)


def is_long(r, p=0.025):
    return r.random() < p


def result_text(r, p=0.025, words=400):
    """a tool's output: one in 1/p is long"""
    return long_output(r) if is_long(r, p) else text(r, r.randint(5, words))


def blob(r, n):
    """n characters of base64, as signatures and encrypted reasoning are"""
    return base64.b64encode(r.getrandbits(n * 6).to_bytes((n * 6 + 7) // 8, "little")).decode()[:n]


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


def pick(r, weights):
    x = r.random() * sum(weights.values())
    for k, w in weights.items():
        x -= w
        if x < 0:
            return k
    return k


# ---------------------------------------------------------------- Claude

CLAUDE_TOOLS = {"Edit": 26, "Read": 15, "Bash": 25, "Grep": 8, "Glob": 5, "Task": 5,
                "TodoWrite": 5, "Write": 2, "WebSearch": 2, "mcp__docs__query": 3}


class Claude:
    def __init__(self, r, sid, t):
        self.r, self.sid, self.t = r, sid, t
        self.out, self.parent = [], None
        self.cwd = "/home/u/work/projects/proj%d/services/backend-api" % r.randint(1, 40)
        self.branch = "feature/%s-%d" % ("-".join(r.choice(WORDS[:40]) for _ in range(2)), r.randint(100, 9999))
        self.slug = "%s-%s-%s" % (r.choice(("quiet", "brave", "lucky", "misty")),
                                  r.choice(("river", "stone", "cloud", "maple")), r.choice(("fox", "owl", "elk")))
        self.files = {}

    def emit(self, rec, sidechain=False):
        """add the per-line metadata every real record carries"""
        r = self.r
        self.t += r.randint(50, 8000)
        u = uuid(r)
        line = {"parentUuid": self.parent, "isSidechain": sidechain, "userType": "external",
                "cwd": self.cwd, "sessionId": self.sid, "version": "2.0.24", "gitBranch": self.branch,
                "slug": self.slug}
        line.update(rec)
        line.update({"uuid": u, "timestamp": stamp(self.t)})
        self.parent = u
        self.out.append(dump(line))
        return u

    def usage(self):
        r = self.r
        c = r.randint(0, 40000)
        return {"input_tokens": r.randint(1, 20), "cache_creation_input_tokens": c,
                "cache_read_input_tokens": r.randint(0, 150000),
                "cache_creation": {"ephemeral_5m_input_tokens": c, "ephemeral_1h_input_tokens": 0},
                "output_tokens": r.randint(1, 2000), "service_tier": "standard"}

    def assistant(self, mid, req, block):
        return {"message": {"model": "claude-sonnet-4-5-20250929", "id": mid, "type": "message",
                            "role": "assistant", "content": [block], "stop_reason": None,
                            "stop_sequence": None, "usage": self.usage()},
                "requestId": req, "type": "assistant"}

    def path(self):
        return "%s/src/%s_%d.c" % (self.cwd, self.r.choice(("store", "ingest", "watch", "parse")), self.r.randint(1, 30))

    def tool(self, name):
        """(input, message content, toolUseResult) of one tool call"""
        r = self.r
        if name in ("Edit", "Write"):
            p = self.path()
            if p not in self.files or r.random() < 0.3:
                self.files[p] = code(r, r.randint(60, 900))
            orig = self.files[p]
            lines = orig.split("\n")
            at = r.randint(0, max(0, len(lines) - 8))
            old = "\n".join(lines[at:at + r.randint(1, 6)])
            new = code(r, r.randint(1, 25)).rstrip("\n")
            self.files[p] = orig.replace(old, new, 1) if old else new + orig
            patch = [{"oldStart": at + 1, "oldLines": old.count("\n") + 1, "newStart": at + 1,
                      "newLines": new.count("\n") + 1,
                      "lines": ["-" + x for x in old.split("\n")] + ["+" + x for x in new.split("\n")]}]
            snippet = numbered("\n".join(self.files[p].split("\n")[at:at + 12]) + "\n", at + 1)
            if name == "Write":
                return ({"file_path": p, "content": orig},
                        "File created successfully at: " + p,
                        {"type": "create", "filePath": p, "content": orig, "structuredPatch": [], "originalFile": None})
            return ({"file_path": p, "old_string": old, "new_string": new},
                    "The file %s has been updated. Here's the result of running `cat -n` on a snippet of the edited file:\n%s" % (p, snippet),
                    {"filePath": p, "oldString": old, "newString": new, "originalFile": orig,
                     "structuredPatch": patch, "userModified": False, "replaceAll": False})
        if name == "Read":
            p = self.path()
            body = long_output(r) if is_long(r, 0.015) else code(r, r.randint(20, 400))
            self.files[p] = body
            n = body.count("\n")
            return ({"file_path": p}, numbered(body),
                    {"type": "text", "file": {"filePath": p, "content": body, "numLines": n, "startLine": 1, "totalLines": n}})
        if name == "Bash":
            out = result_text(r, 0.01, 100)
            return ({"command": "grep -rn %s src" % r.choice(WORDS), "description": text(r, 6)}, out,
                    {"stdout": out, "stderr": "", "interrupted": False, "isImage": False})
        if name == "Grep":
            if r.random() < 0.5:
                names = [self.path() for _ in range(r.randint(0, 12))]
                return ({"pattern": r.choice(WORDS), "path": self.cwd, "output_mode": "files_with_matches"},
                        "Found %d files\n%s" % (len(names), "\n".join(names)),
                        {"mode": "files_with_matches", "filenames": names, "numFiles": len(names)})
            body = "".join("%s:%d:%s\n" % (self.path(), r.randint(1, 900), code(r, 1).strip())
                           for _ in range(r.randint(1, 40)))
            return ({"pattern": r.choice(WORDS), "path": self.cwd, "output_mode": "content", "-n": True},
                    body, {"mode": "content", "numFiles": 0, "filenames": [], "content": body,
                           "numLines": body.count("\n")})
        if name.startswith("mcp__"):  # an MCP tool: its result is a list of parts
            parts = [{"type": "text", "text": text(r, r.randint(50, 600))}]
            return ({"query": text(r, 5)}, parts, parts)
        if name == "WebSearch":
            q = text(r, 6)
            hits = [{"title": text(r, 5), "url": "https://example.org/%s/%d" % (r.choice(("docs", "blog", "issues")), r.randint(1, 99999))}
                    for _ in range(10)]
            return ({"query": q}, 'Web search results for query: "%s"\n\nLinks: %s\n\n%s' % (q, json.dumps(hits), text(r, 150)),
                    {"query": q, "results": [{"tool_use_id": "srvtoolu_%024x" % r.getrandbits(96), "content": hits},
                                             text(r, 150)], "durationSeconds": r.random() * 20})
        if name == "Glob":
            names = [self.path() for _ in range(r.randint(0, 20))]
            return ({"pattern": "**/*.c"}, "\n".join(names),
                    {"filenames": names, "durationMs": r.randint(1, 900), "numFiles": len(names), "truncated": False})
        if name == "TodoWrite":
            todos = [{"content": text(r, 6), "status": r.choice(("pending", "in_progress", "completed")),
                      "activeForm": text(r, 6)} for _ in range(r.randint(2, 8))]
            return ({"todos": todos}, "Todos have been modified successfully.",
                    {"oldTodos": todos[1:], "newTodos": todos})
        # Task: a sub-agent; its answer comes back twice
        prompt = text(r, r.randint(60, 250))
        answer = text(r, r.randint(50, 300))
        return ({"description": text(r, 4), "prompt": prompt, "subagent_type": "general-purpose"},
                [{"type": "text", "text": answer}],
                {"status": "completed", "prompt": prompt, "agentId": "%07x" % r.getrandbits(28),
                 "content": [{"type": "text", "text": answer}], "totalDurationMs": r.randint(1000, 400000),
                 "totalTokens": r.randint(1000, 90000), "totalToolUseCount": r.randint(1, 30), "usage": self.usage()})

    def progress(self, tool_id, data):
        self.emit({"type": "progress", "data": data, "toolUseID": "%s-p%d" % (tool_id, self.r.getrandbits(16)),
                   "parentToolUseID": tool_id})

    def sub_agent(self, tool_id, prompt):
        """agent_progress records: a sub-agent's own messages, each repeating its prompt"""
        r = self.r
        agent = "%07x" % r.getrandbits(28)
        for _ in range(r.randint(5, 28)):
            if r.random() < 0.5:
                inner = {"type": "assistant", "message": {
                    "model": "claude-haiku-4-5", "id": "msg_%024x" % r.getrandbits(96), "type": "message",
                    "role": "assistant", "content": [{"type": "tool_use", "id": "toolu_%024x" % r.getrandbits(96),
                                                      "name": "Read", "input": {"file_path": self.path()}}],
                    "usage": self.usage()}}
            else:
                body = result_text(r) if r.random() < 0.5 else numbered(code(r, r.randint(10, 200)))
                inner = {"type": "user", "message": {"role": "user", "content": [
                    {"tool_use_id": "toolu_%024x" % r.getrandbits(96), "type": "tool_result", "content": body}]}}
            inner.update({"uuid": uuid(r), "timestamp": stamp(self.t)})
            self.progress(tool_id, {"message": inner, "normalizedMessages": [], "type": "agent_progress",
                                    "prompt": prompt, "agentId": agent})

    def turn(self):
        r = self.r
        if r.random() < 0.9:
            self.out.append(dump({"type": "file-history-snapshot", "messageId": uuid(r), "snapshot": {
                "messageId": uuid(r), "trackedFileBackups": {
                    self.path(): {"backupFileName": "%016x@v%d" % (r.getrandbits(64), r.randint(1, 9)),
                                  "version": r.randint(1, 9), "backupTime": stamp(self.t)}
                    for _ in range(r.randint(0, 8))}, "timestamp": stamp(self.t)}, "isSnapshotUpdate": False}))
        self.emit({"type": "user", "message": {"role": "user", "content": text(r, r.randint(3, 120))},
                   "thinkingMetadata": {"level": "high", "disabled": False, "triggers": []}, "todos": []})
        for _ in range(r.randint(1, 14)):
            mid, req = "msg_%024x" % r.getrandbits(96), "req_%024x" % r.getrandbits(96)
            if r.random() < 0.55:
                self.emit(self.assistant(mid, req, {"type": "thinking", "thinking": text(r, r.randint(5, 90)),
                                                    "signature": blob(r, r.randint(300, 1400))}))
            if r.random() < 0.3:
                self.emit(self.assistant(mid, req, {"type": "text", "text": text(r, r.randint(5, 100))}))
            name = pick(r, CLAUDE_TOOLS)
            tid = "toolu_%024x" % r.getrandbits(96)
            inp, content, result = self.tool(name)
            error = r.random() < 0.04
            if error:  # a failed call: its toolUseResult is the error text
                content = result = "Error: %s" % text(r, r.randint(5, 400))
            asst = self.emit(self.assistant(mid, req, {"type": "tool_use", "id": tid, "name": name, "input": inp}))
            for _ in range(r.choice((0, 0, 1))):
                self.progress(tid, {"type": "hook_progress", "hookEvent": "PostToolUse",
                                    "hookName": "PostToolUse:" + name, "command": "~/.claude/hooks/check.sh"})
            if name == "Bash" and not error:
                for k in range(r.randint(0, 2)):
                    part = text(r, r.randint(0, 60))
                    self.progress(tid, {"type": "bash_progress", "output": part, "fullOutput": part,
                                        "elapsedTimeSeconds": k + 2, "totalLines": k})
            if name == "Task" and not error:
                self.sub_agent(tid, inp["prompt"])
            self.emit({"type": "user", "message": {"role": "user", "content": [
                {"tool_use_id": tid, "type": "tool_result", "content": content, "is_error": error}]},
                "toolUseResult": result, "sourceToolAssistantUUID": asst})
        self.emit(self.assistant("msg_%024x" % r.getrandbits(96), "req_%024x" % r.getrandbits(96),
                                 {"type": "text", "text": text(r, r.randint(10, 300))}))
        if r.random() < 0.8:
            self.emit({"type": "system", "subtype": "turn_duration", "durationMs": r.randint(1000, 900000),
                       "isMeta": False})


def claude(r, sid, t, lines):
    s = Claude(r, sid, t)
    while len(s.out) < lines:
        s.turn()
    return s.out[:lines]


# ---------------------------------------------------------------- Codex

def codex(r, sid, t, lines):
    cwd = "/home/u/work/projects/proj%d" % r.randint(1, 40)
    out = []

    def emit(typ, payload, dt=(50, 5000)):
        nonlocal t
        t += r.randint(*dt)
        out.append(dump({"timestamp": stamp(t), "type": typ, "payload": payload}))

    emit("session_meta", {"id": sid, "timestamp": stamp(t), "cwd": cwd, "originator": "codex_cli_rs",
                          "cli_version": "0.47.0", "instructions": None, "source": "cli", "model_provider": "openai",
                          "base_instructions": {"text": text(r, r.randint(600, 1800))},
                          "git": {"commit_hash": "%040x" % r.getrandbits(160), "branch": "main",
                                  "repository_url": "https://example.org/u/proj.git"}})
    totals = [0, 0, 0, 0]
    def turn_context():
        emit("turn_context", {"turn_id": turn, "cwd": cwd, "approval_policy": "on-request",
                              "sandbox_policy": {"type": "workspace-write", "writable_roots": [cwd], "network_access": False,
                                                 "exclude_tmpdir_env_var": False, "exclude_slash_tmp": False},
                              "model": "gpt-5-codex", "effort": "medium", "summary": "auto",
                              "collaboration_mode": {"mode": "default", "settings": {
                                  "model": "gpt-5-codex", "reasoning_effort": "medium",
                                  "developer_instructions": text(r, r.randint(10, 40))}},
                              "user_instructions": text(r, r.randint(30, 90)), "current_date": "2025-10-01",
                              "timezone": "UTC", "personality": "pragmatic"})

    while len(out) < lines:
        turn = uuid(r)
        turn_context()
        prompt = text(r, r.randint(3, 80))
        emit("response_item", {"type": "message", "role": "user", "content": [{"type": "input_text", "text": prompt}]})
        emit("event_msg", {"type": "user_message", "message": prompt, "images": []})
        emit("event_msg", {"type": "task_started", "turn_id": turn, "model_context_window": 272000})
        for step in range(r.randint(1, 10)):
            if step and r.random() < 0.7:
                turn_context()
            summary = text(r, r.randint(5, 50))
            emit("response_item", {"type": "reasoning", "summary": [{"type": "summary_text", "text": summary}],
                                   "content": None, "encrypted_content": blob(r, r.randint(100, 450))})
            if r.random() < 0.5:
                emit("event_msg", {"type": "agent_reasoning", "text": summary})
            call = "call_%024x" % r.getrandbits(96)
            if r.random() < 0.15:
                patch = "*** Begin Patch\n*** Update File: src/x.c\n@@\n" + "\n".join(
                    "%s%s" % (r.choice("+- "), text(r, 6)) for _ in range(r.randint(2, 25))) + "\n*** End Patch"
                emit("response_item", {"type": "custom_tool_call", "status": "completed", "call_id": call,
                                       "name": "apply_patch", "input": patch})
                emit("response_item", {"type": "custom_tool_call_output", "call_id": call, "output": json.dumps(
                    {"output": "Success. Updated the following files:\nM src/x.c\n", "metadata": {"exit_code": 0, "duration_seconds": 0.1}})})
            else:
                cmd = "cd %s && rg -n --hidden -g '!target' '%s' src tests | head -n %d" % (cwd, text(r, 3), r.randint(20, 200))
                emit("response_item", {"type": "function_call", "name": "shell", "call_id": call,
                                       "arguments": json.dumps({"command": ["bash", "-lc", cmd], "workdir": cwd,
                                                                "timeout_ms": 120000,
                                                                "justification": text(r, r.randint(0, 10))}, ensure_ascii=False)})
                res = result_text(r, 0.003, 300)
                if r.random() < 0.2:
                    emit("event_msg", {"type": "exec_command_end", "call_id": call, "turn_id": turn,
                                       "command": ["bash", "-lc", cmd], "cwd": cwd,
                                       "parsed_cmd": [{"type": "search", "cmd": cmd, "query": "x", "path": "src"}],
                                       "source": "agent", "stdout": res, "stderr": "", "aggregated_output": res,
                                       "exit_code": 0, "duration": {"secs": 0, "nanos": r.randint(0, 999999999)},
                                       "formatted_output": res[:10000], "status": "completed"})
                emit("response_item", {"type": "function_call_output", "call_id": call, "output": json.dumps(
                    {"output": res, "metadata": {"exit_code": 0, "duration_seconds": 0.1}}, ensure_ascii=False)})
            for _ in range(r.choice((1, 2, 2))):
                last = [r.randint(1000, 90000), r.randint(0, 80000), r.randint(1, 3000), r.randint(0, 2000)]
                totals = [a + b for a, b in zip(totals, last)]
                use = lambda v: {"input_tokens": v[0], "cached_input_tokens": v[1], "cache_write_input_tokens": 0, "output_tokens": v[2],
                                 "reasoning_output_tokens": v[3], "total_tokens": v[0] + v[2]}
                emit("event_msg", {"type": "token_count", "info": {
                    "total_token_usage": use(totals), "last_token_usage": use(last), "model_context_window": 272000},
                    "rate_limits": {"limit_id": "codex", "limit_name": None, "plan_type": "plus",
                                    "primary": {"used_percent": r.randint(0, 99) + 0.5, "window_minutes": 300,
                                                "resets_at": 1760000000 + r.randint(0, 999999)},
                                    "secondary": {"used_percent": r.randint(0, 99) + 0.5, "window_minutes": 10080,
                                                  "resets_at": 1760000000 + r.randint(0, 999999)},
                                    "credits": {"has_credits": False, "unlimited": False, "balance": "0"},
                                    "individual_limit": None, "rate_limit_reached_type": None,
                                    "spend_control_reached": False}})
            if r.random() < 0.55:
                answer = text(r, r.randint(5, 70))
                emit("event_msg", {"type": "agent_message", "message": answer})
                emit("response_item", {"type": "message", "role": "assistant",
                                       "content": [{"type": "output_text", "text": answer}]})
        emit("event_msg", {"type": "task_complete", "turn_id": turn, "last_agent_message": text(r, r.randint(5, 40))})
        if r.random() < 0.08:
            emit("compacted", {"message": "", "replacement_history": [
                {"type": "message", "role": r.choice(("user", "assistant")),
                 "content": [{"type": "input_text", "text": text(r, r.randint(5, 120))}]} for _ in range(r.randint(10, 50))]})
    return out[:lines]


# ---------------------------------------------------------------- Gemini

def gemini(r, sid, t, lines):
    out = [dump({"sessionId": sid, "projectHash": "%064x" % r.getrandbits(256), "startTime": stamp(t),
                 "lastUpdated": stamp(t), "kind": "main"})]
    files = {}
    while len(out) < lines:
        t += r.randint(1000, 60000)
        out.append(dump({"id": uuid(r), "timestamp": stamp(t), "type": "user",
                         "content": [{"text": text(r, r.randint(3, 80))}]}))
        out.append(dump({"$set": {"lastUpdated": stamp(t)}}))
        for _ in range(r.randint(1, 8)):
            t += r.randint(200, 20_000)
            calls = []
            for _ in range(r.choice((0, 1, 1, 1, 2))):
                cid = "%s-%d-%016x" % ("call", t, r.getrandbits(64))
                kind = pick(r, {"run_shell_command": 45, "replace": 24, "write_file": 4, "read_file": 10, "grep_search": 6})
                desc = text(r, r.randint(15, 110))
                if kind in ("replace", "write_file"):
                    p = "/home/u/proj/src/%s_%d.ts" % (r.choice(("app", "store", "view")), r.randint(1, 20))
                    orig = files.get(p) or code(r, r.randint(40, 400))
                    new = code(r, r.randint(1, 20))
                    after = orig + new
                    files[p] = after
                    diff = "Index: %s\n===\n--- %s\tOriginal\n+++ %s\tWritten\n@@ -1,3 +1,%d @@\n" % (p, p, p, new.count("\n")) + \
                        "".join("+" + x + "\n" for x in new.split("\n")[:-1])
                    args = {"file_path": p, "content": after} if kind == "write_file" else \
                        {"file_path": p, "old_string": orig[:r.randint(10, 150)], "new_string": new}
                    display = {"fileDiff": diff, "fileName": os.path.basename(p), "filePath": p,
                               "originalContent": orig, "newContent": after,
                               "diffStat": {"model_added_lines": new.count("\n"), "model_removed_lines": 0,
                                            "user_added_lines": 0, "user_removed_lines": 0},
                               "isNewFile": False}
                    output = "Successfully modified file: %s (%d replacements)." % (p, 1)
                elif kind == "read_file":
                    args = {"absolute_path": "/home/u/proj/src/a.ts"}
                    output = long_output(r) if is_long(r) else code(r, r.randint(10, 250))
                    display = ""
                else:
                    args = {"command": "grep -rn %s src" % r.choice(WORDS), "description": text(r, r.randint(4, 12))}
                    res = result_text(r, 0.01, 120)
                    if len(res) > 4000:  # the model gets the head, the full output goes to a file
                        res_model = res[:4000] + "\n... [output truncated, full output in tool-outputs/%s.txt]" % cid
                    else:
                        res_model = res
                    output = "Command: %s\nDirectory: (root)\nOutput: %s\nError: (none)\nExit Code: 0" % (args["command"], res_model)
                    display = res
                calls.append({"id": cid, "name": kind, "args": args,
                              "result": [{"functionResponse": {"id": cid, "name": kind, "response": {"output": output}}}],
                              "status": "success", "timestamp": stamp(t), "resultDisplay": display,
                              "description": desc, "displayName": kind.title().replace("_", ""),
                              "renderOutputAsMarkdown": kind != "run_shell_command"})
            rec = {"id": uuid(r), "timestamp": stamp(t), "type": "gemini",
                   "content": text(r, r.randint(15, 150)) if not calls or r.random() < 0.3 else "",
                   "thoughts": [{"subject": text(r, r.randint(2, 6)), "description": text(r, r.randint(6, 35)),
                                 "timestamp": stamp(t)} for _ in range(r.randint(0, 3))],
                   "tokens": {"input": r.randint(1000, 99999), "output": r.randint(1, 999), "cached": r.randint(0, 90000),
                              "thoughts": r.randint(0, 999), "tool": 0, "total": r.randint(1000, 99999)},
                   "model": "gemini-2.5-pro"}
            if calls:
                # JSONL appends a message again whenever it changes: first
                # as the model asked for the calls (no tokens yet, the calls
                # running), then final with their results
                first = dict(rec, toolCalls=[{k: v for k, v in c.items() if k not in ("result", "resultDisplay")}
                                             for c in calls])
                del first["tokens"]
                for c in first["toolCalls"]:
                    c["status"] = "executing"
                out.append(dump(first))
                rec["toolCalls"] = calls
            out.append(dump(rec))
            if r.random() < 0.3:
                out.append(dump({"$set": {"lastUpdated": stamp(t)}}))
    return out[:lines]


OCT_2025 = 1759276800  # 2025-10-01T00:00:00Z


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
            # history: the file was last written in 2025, two days after its
            # session began (a reader may hold back a file's tail records
            # until the file has been quiet for a while)
            mtime = OCT_2025 + t // 1000 + 2 * 86400
            os.utime(path, (mtime, mtime))
            written += len(data)
            n += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
