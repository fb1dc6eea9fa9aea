#!/usr/bin/env python3
"""Mixed-load soak for deploy/soak.sh (issue 9): for SECONDS, W worker threads each loop over a mix of
operations against a running service and record per-operation latency and errors; every 10 s the
service's resident memory (VmRSS of PID) is sampled. Prints, per operation, the count, rate, p50, p99 and
errors, then the memory series. Exit 1 on any error (a non-2xx answer or no answer).

Mix per round (weights): signed app intake 4, portal lookup of a letter this worker wrote 3, staff work
list (dispatcher, first page sorted by due) 3, a staff letter + its accept action 1, the quarterly
report by department 1."""
import hashlib, hmac, json, os, random, sys, threading, time, urllib.error, urllib.request

base, secret, token, seconds, workers, pid = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
lock = threading.Lock()
lat = {}      # op -> [seconds]
errors = {}   # op -> count
samples = []  # (t, rss_kib)
stop_at = time.monotonic() + seconds


def call(op, method, path, body=None, headers=None):
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body, ensure_ascii=False).encode()
    h = {"Content-Type": "application/json"} if data is not None else {}
    h.update(headers or {})
    req = urllib.request.Request(base + path, data=data, method=method, headers=h)
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            payload, status, etag = r.read(), r.status, r.headers.get("ETag")
    except urllib.error.HTTPError as e:
        payload, status, etag = e.read(), e.code, None
    except Exception as e:  # no answer (timeout, reset): an error, shown with its cause
        payload, status, etag = repr(e).encode(), None, None
    took = time.monotonic() - t0
    with lock:
        if status is not None and 200 <= status < 300:
            lat.setdefault(op, []).append(took)
        else:
            errors[op] = errors.get(op, 0) + 1
            if errors[op] <= 3:
                print(f"error {op} {method} {path}: {status} {payload[:200]!r}", file=sys.stderr)
    try:
        return status, (json.loads(payload) if payload else {}), etag
    except ValueError:
        return status, {}, etag


def intake(w, n):
    body = json.dumps({"app_letter_id": f"soak-{w}-{n}-{random.getrandbits(32)}", "category": random.choice(
        ["consultation", "complaint", "help", "suggestion"]), "title": f"路灯损坏{n}",
        "body": "溪翁庄镇某村村口路灯已坏两周，夜间出行不便。", "writer_name": "王五", "phone": "13912345678",
        "town": "溪翁庄镇", "publish_consent": False}, ensure_ascii=False, separators=(",", ":")).encode()
    ts = str(int(time.time()))
    sig = "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    _, answer, _ = call("intake", "POST", "/v1/intake/app", body, {"X-Mailbox-Timestamp": ts, "X-Mailbox-Signature": sig})
    return answer


def worker(w):
    mine = []
    auth = {"Authorization": "Bearer " + token}
    n = 0
    ops = ["intake"] * 4 + ["lookup"] * 3 + ["list"] * 3 + ["act"] + ["report"]
    while time.monotonic() < stop_at:
        n += 1
        op = random.choice(ops)
        if op == "intake" or (op == "lookup" and not mine):
            a = intake(w, n)
            if a.get("tracking_no"):
                mine.append((a["tracking_no"], a.get("query_code")))
                mine = mine[-50:]
        elif op == "lookup":
            t, code = random.choice(mine)
            call("lookup", "GET", f"/v1/public/letters/{t}", headers={"X-Query-Code": code})
        elif op == "list":
            call("list", "GET", "/v1/letters?status=received,accepted&sort=due&limit=50", headers=auth)
        elif op == "act":
            a = intake(w, n)
            t = a.get("tracking_no")
            if t:
                _, _, etag = call("letter", "GET", f"/v1/letters/{t}", headers=auth)
                if etag:
                    call("accept", "POST", f"/v1/letters/{t}/accept", {}, {**auth, "If-Match": etag})
        else:
            call("report", "GET", "/v1/reports/sla?from=2026-07-01&to=2026-09-30&group_by=department", headers=auth)


def sampler():
    t0 = time.monotonic()
    while time.monotonic() < stop_at + 1:
        try:
            rss = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS:"))
            samples.append((round(time.monotonic() - t0), rss))
        except Exception:
            pass
        time.sleep(10)


threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)] + [threading.Thread(target=sampler, daemon=True)]
for t in threads:
    t.start()
for t in threads[:-1]:
    t.join()
print(f"{'operation':<10} {'count':>8} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
for op in sorted(set(lat) | set(errors)):
    v = sorted(lat.get(op, []))
    pct = lambda q: v[min(len(v) - 1, int(len(v) * q))] * 1000 if v else float("nan")
    print(f"{op:<10} {len(v):>8} {len(v) / seconds:>8.1f} {pct(0.5):>8.1f} {pct(0.99):>8.1f} {errors.get(op, 0):>7}")
total = sum(len(v) for v in lat.values())
print(f"{'total':<10} {total:>8} {total / seconds:>8.1f} {'':>8} {'':>8} {sum(errors.values()):>7}")
print("memory (VmRSS) every 10 s, MiB: " + " ".join(f"{t}s={kib / 1024:.0f}" for t, kib in samples))
sys.exit(1 if sum(errors.values()) else 0)
