#!/usr/bin/env python3
"""Signed app intake under load for deploy/fault-test.sh (issue 9): W workers deliver letters with
unique app_letter_ids to /v1/intake/app until the stop file appears. Like the real app, a delivery
that did not get a 2xx (an error answer, a timeout, a refused connection) is retried with the SAME
bytes and id until it gets one. Writes one line per acknowledged delivery (app_letter_id, tracking
number) and prints the counts: acknowledged, answers by status, retries, and the longest wait for
an answer while the database or the service was down."""
import hashlib, hmac, json, os, sys, threading, time, urllib.error, urllib.request

base, secret, workers, stop_file, out_file, prefix = sys.argv[1:7]
workers = int(workers)
URL = base + "/v1/intake/app"
lock = threading.Lock()
acked, statuses, stats = [], {}, {"retries": 0, "max_answer_s": 0.0, "refused": 0}


def sign(ts: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()


def deliver(body: bytes):
    ts = str(int(time.time()))
    req = urllib.request.Request(URL, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Mailbox-Timestamp": ts, "X-Mailbox-Signature": sign(ts, body)})
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.load(r), time.monotonic() - t0
    except urllib.error.HTTPError as e:
        return e.code, {"retry_after": e.headers.get("Retry-After")}, time.monotonic() - t0
    except Exception:  # refused, reset, cut mid-answer (http.client.IncompleteRead): no answer, retry
        return None, {}, time.monotonic() - t0


def worker(w: int):
    n = 0
    while not os.path.exists(stop_file):
        n += 1
        app_id = f"{prefix}-{w}-{n}"
        body = json.dumps({"app_letter_id": app_id, "category": "help", "title": f"路灯损坏{w}-{n}",
                           "body": "溪翁庄镇某村村口路灯已坏两周，夜间出行不便。", "writer_name": "王五",
                           "phone": f"139{w:04d}{n % 10000:04d}", "town": "溪翁庄镇", "publish_consent": False},
                          ensure_ascii=False, separators=(",", ":")).encode()
        while True:  # until acknowledged, even after the stop file (an unacknowledged letter is the app's to retry)
            status, answer, took = deliver(body)
            with lock:
                key = str(status) if status is not None else "no-answer"
                statuses[key] = statuses.get(key, 0) + 1
                if status is not None:
                    stats["max_answer_s"] = max(stats["max_answer_s"], took)
                if status == 503:
                    stats["max_503_s"] = max(stats.get("max_503_s", 0.0), took)
                if status == 503 and not answer.get("retry_after"):
                    stats["no_retry_after"] = stats.get("no_retry_after", 0) + 1
            if status in (200, 201):
                with lock:
                    acked.append((app_id, answer["tracking_no"]))
                break
            with lock:
                stats["retries"] += 1
            time.sleep(0.2)


threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
with open(out_file, "w") as f:
    for app_id, tracking in acked:
        f.write(f"{app_id}\t{tracking}\n")
print(json.dumps({"acknowledged": len(acked), "answers": statuses, **stats}))
