# SPDX-License-Identifier: Apache-2.0
# Synthetic Claude Code session logs for bench/search.sh: awk -v dir=DIR
# -v mb=N -v seed=S -f gen_logs.awk writes about N MB of DIR/<id>.jsonl.
# Words come from a made-up vocabulary of 30,000, Zipf-like (a few very
# common, most rare), so queries range from "matches almost everything"
# to "matches a handful". Per turn: the user's prompt, the assistant's
# thinking, text and a tool call, and the tool's output (the bulk of the
# bytes, as in real logs). Every 500th prompt says "zebracrash".
function word(   i) {
	i = int(exp(rand() * LOGN))
	return V[i]
}
function words(n,   s, i) {
	s = word()
	for (i = 1; i < n; i++)
		s = s " " word()
	return s
}
function ts(t,   d) {
	return strftime("%Y-%m-%dT%H:%M:%S.000Z", t, 1)
}
BEGIN {
	srand(seed ? seed : 42)
	split("ka lo mi ne ru ta shi po ve za an et ori ul ix qua bre sto gly fen", SY, " ")
	N = 30000
	for (i = 1; i <= N; i++) {
		w = ""
		k = i
		do {
			w = w SY[k % 20 + 1]
			k = int(k / 20)
		} while (k > 0)
		V[i] = w
	}
	LOGN = log(N)
	limit = mb * 1000000
	bytes = 0
	t = 1735689600 # 2025-01-01
	prompts = 0
	for (s = 1; bytes < limit; s++) {
		id = sprintf("%08x-0000-4000-8000-%012d", s, s)
		f = dir "/" id ".jsonl"
		turns = 20 + int(rand() * 60)
		parent = ""
		for (u = 1; u <= turns; u++) {
			t += 30 + int(rand() * 600)
			prompts++
			p = words(8 + int(rand() * 50))
			if (prompts % 500 == 0)
				p = p " zebracrash"
			uid = id "-u" u
			line = "{\"type\":\"user\",\"uuid\":\"" uid "\",\"parentUuid\":\"" parent "\",\"sessionId\":\"" id \
				"\",\"cwd\":\"/home/dev/proj" (s % 7) "\",\"timestamp\":\"" ts(t) \
				"\",\"message\":{\"role\":\"user\",\"content\":\"" p "\"}}"
			print line > f
			bytes += length(line) + 1
			aid = id "-a" u
			line = "{\"type\":\"assistant\",\"uuid\":\"" aid "\",\"parentUuid\":\"" uid "\",\"sessionId\":\"" id \
				"\",\"timestamp\":\"" ts(t + 5) "\",\"message\":{\"id\":\"msg-" aid \
				"\",\"role\":\"assistant\",\"model\":\"claude-bench\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"" \
				words(30 + int(rand() * 120)) "\"},{\"type\":\"text\",\"text\":\"" words(20 + int(rand() * 200)) \
				"\"},{\"type\":\"tool_use\",\"id\":\"tu-" aid "\",\"name\":\"Bash\",\"input\":{\"command\":\"grep -rn " \
				word() " src\"}}]}}"
			print line > f
			bytes += length(line) + 1
			out = ""
			nl = 20 + int(rand() * 120)
			for (l = 0; l < nl; l++)
				out = out "src/" word() ".c:" (int(rand() * 900) + 1) ": " words(4 + int(rand() * 10)) "\\n"
			rid = id "-r" u
			line = "{\"type\":\"user\",\"uuid\":\"" rid "\",\"parentUuid\":\"" aid "\",\"sessionId\":\"" id \
				"\",\"timestamp\":\"" ts(t + 9) "\",\"message\":{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"tu-" \
				aid "\",\"content\":\"" out "\"}]}}"
			print line > f
			bytes += length(line) + 1
			parent = rid
		}
		close(f)
	}
}
