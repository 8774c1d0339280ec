#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# gen_corpus.sh OUT SESSIONS LINES: a small deterministic multi-provider
# corpus laid out as each provider does (OUT/claude, OUT/codex,
# OUT/gemini), SESSIONS sessions of LINES records each per provider, with
# unicode, tool calls and results, one result over 1 MiB (a "big" event,
# written in slices), a line that is not JSON and an unterminated last
# line. POSIX sh and awk only (the test machines have no Python); the
# benchmark's larger corpora come from bench/gen.py.
set -eu
OUT=$1 SESSIONS=$2 LINES=$3
awk -v out="$OUT" -v sessions="$SESSIONS" -v lines="$LINES" '
function word(   w) { seed = (seed * 16807) % 2147483647; return W[seed % NW] }
function text(n,   s, i) { s = word(); for (i = 1; i < n; i++) s = s " " word(); return s }
function ts(t) { return sprintf("2025-10-%02dT%02d:%02d:%02d.%03dZ", 1 + int(t / 86400) % 28, int(t / 3600) % 24, int(t / 60) % 60, t % 60, (t * 7) % 1000) }
function uuid(p, n) { return sprintf("%08x-%04x-4%03x-8%03x-%012x", p * 7919 + n, n % 65536, p % 4096, n % 4096, p * 1000003 + n) }
function big(   s) { s = text(40); while (length(s) < 1200000) s = s "\\n" s; return s }
BEGIN {
	NW = split("the of and to kato store event session parse buffer commit cursor thread queue café naïve résumé über straße 日本語 テスト 中文 한국어 ✓ → ★ 🚀 🙂 λ \\\"quoted\\\" back\\\\slash tab\\there", W, " ")
	for (i = 1; i <= NW; i++) W[i - 1] = W[i]
	seed = 42
	for (s = 0; s < sessions; s++) {
		id = uuid(1, s); t = s * 3600
		f = out "/claude/-home-u-p" (s % 3) "/" id ".jsonl"
		system("mkdir -p \"" out "/claude/-home-u-p" (s % 3) "\"")
		parent = "null"
		for (i = 0; i < lines; i++) {
			t += 7; u = uuid(2 + s, i); k = i % 4
			if (k == 0) rec = "\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"" text(12) "\"}"
			else if (k == 1) rec = "\"type\":\"assistant\",\"message\":{\"model\":\"claude-sonnet-4-5\",\"id\":\"msg_" s "_" i "\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"" text(30) "\"}]}"
			else if (k == 2) rec = "\"type\":\"assistant\",\"message\":{\"model\":\"claude-sonnet-4-5\",\"id\":\"msg_" s "_" i "\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_" s "_" i "\",\"name\":\"Bash\",\"input\":{\"command\":\"ls " word() "\"}}]}"
			else rec = "\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":[{\"tool_use_id\":\"toolu_" s "_" (i - 1) "\",\"type\":\"tool_result\",\"content\":\"" (s == 0 && i == 3 ? big() : text(50)) "\"}]}"
			printf "{\"parentUuid\":%s,\"isSidechain\":false,\"userType\":\"external\",\"cwd\":\"/home/u/p%d\",\"sessionId\":\"%s\",\"version\":\"2.0.24\",%s,\"uuid\":\"%s\",\"timestamp\":\"%s\"}\n", parent, s % 3, id, rec, u, ts(t) > f
			parent = "\"" u "\""
			if (s == 1 && i == 5) print "this line is not JSON" > f
		}
		close(f)

		id = uuid(100, s); t = s * 3600 + 17
		d = out "/codex/2025/10/" sprintf("%02d", 1 + s % 28)
		f = d "/rollout-2025-10-01T00-00-" sprintf("%02d", s % 60) "-" id ".jsonl"
		system("mkdir -p \"" d "\"")
		printf "{\"timestamp\":\"%s\",\"type\":\"session_meta\",\"payload\":{\"id\":\"%s\",\"timestamp\":\"%s\",\"cwd\":\"/home/u/c\",\"originator\":\"codex_cli_rs\",\"cli_version\":\"0.47.0\",\"instructions\":null,\"source\":\"cli\"}}\n", ts(t), id, ts(t) > f
		for (i = 1; i < lines; i++) {
			t += 5; k = i % 4
			if (k == 0) p = "{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"" text(12) "\"}]}"
			else if (k == 1) p = "{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"" text(30) "\"}]}"
			else if (k == 2) p = "{\"type\":\"function_call\",\"name\":\"shell\",\"call_id\":\"call_" s "_" i "\",\"arguments\":\"{\\\"command\\\":[\\\"ls\\\"]}\"}"
			else p = "{\"type\":\"function_call_output\",\"call_id\":\"call_" s "_" (i - 1) "\",\"output\":\"" text(40) "\"}"
			line = sprintf("{\"timestamp\":\"%s\",\"type\":\"response_item\",\"payload\":%s}", ts(t), p)
			if (s == sessions - 1 && i == lines - 1) printf "%s", line > f
			else print line > f
		}
		close(f)

		id = sprintf("%08x", 3000 + s); t = s * 3600 + 29
		d = out "/gemini/" sprintf("%064x", s % 2) "/chats"
		f = d "/session-2025-10-01T00-" sprintf("%02d", s % 60) "-" id ".jsonl"
		system("mkdir -p \"" d "\"")
		printf "{\"sessionId\":\"%s\",\"projectHash\":\"%064x\",\"startTime\":\"%s\",\"lastUpdated\":\"%s\",\"kind\":\"main\"}\n", id, s % 2, ts(t), ts(t) > f
		for (i = 1; i < lines; i++) {
			t += 3
			if (i % 2) printf "{\"id\":\"u-%d\",\"timestamp\":\"%s\",\"type\":\"user\",\"content\":[{\"text\":\"%s\"}]}\n", i, ts(t), text(12) > f
			else printf "{\"id\":\"g-%d\",\"timestamp\":\"%s\",\"type\":\"gemini\",\"content\":\"%s\",\"thoughts\":[],\"model\":\"gemini-2.5-pro\",\"tokens\":{\"input\":1,\"output\":2,\"total\":3}}\n", i, ts(t), text(30) > f
		}
		close(f)
	}
}'
