#!/usr/bin/env python3
"""Checks every query of deploy/grafana/jkoflow.json against real data.

Starts a jkoflow-server (free loopback ports, a temporary store), a real
Prometheus that scrapes it every second and loads deploy/prometheus/rules.yml,
trains a tiny model with the jkoflow CLI, runs a few seconds of jkoflow-load
(Sample and LogLikelihood) plus calls that fail (an unknown model, and a
model whose stored version cannot load), and then evaluates each
panel target's expression through Prometheus' /api/v1/query: each must parse
and return at least one series with a finite value, once with every template
variable at "All" and once with $model set to the trained model. The
template variables' label_values() queries must list the trained model and
the Sample method, every rule of rules.yml must evaluate without error, and
JkoflowModelNotLoadable must turn pending (or firing) for the broken model.

Standard library only. Fails (never skips) when a program is missing.
"""

import argparse
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

MODEL = "tiny"
BROKEN = "broken"  # a stored version with an unreadable manifest
JOB = "jkoflow"  # rules.yml selects job=~"jkoflow.*"


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def http_get(url, timeout=5.0):
    """Returns (status, body); status 0 when the connection failed."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as e:
        return 0, str(e)


class Failure(Exception):
    pass


class Process:
    """A child process with its output in a file; stop() ends it."""

    def __init__(self, name, argv, log_path, env=None):
        self.name = name
        self.log_path = log_path
        self.log_file = open(log_path, "w")
        self.proc = subprocess.Popen(argv, stdout=self.log_file,
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)

    def running(self):
        return self.proc.poll() is None

    def log(self):
        self.log_file.flush()
        return read(self.log_path)

    def stop(self, grace_s):
        if self.running():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                log(f"{self.name} ignored SIGTERM for {grace_s} s; killing it")
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        return self.proc.returncode


def run(argv, timeout_s, expect_ok=True):
    result = subprocess.run(argv, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            timeout=timeout_s, text=True)
    if expect_ok and result.returncode != 0:
        raise Failure(f"{' '.join(argv)} exited {result.returncode}:\n"
                      f"{result.stdout}")
    return result


def start_server(binary, work, env):
    store = os.path.join(work, "var")
    broken = os.path.join(store, "models", BROKEN, "v1")
    os.makedirs(broken)
    with open(os.path.join(broken, "manifest.json"), "w") as f:
        f.write("not a manifest\n")
    server = Process("jkoflow-server", [
        binary, "--listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
        f"--model_dir={store}/models", f"--job_dir={store}/jobs",
        f"--data_dir={store}/data", "--threads=1", "--drain_timeout=5s"
    ], os.path.join(work, "server.log"), env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        text = server.log()
        grpc = re.search(r"^listening on (\S+)$", text, re.M)
        metrics = re.search(r"^metrics on (\S+)$", text, re.M)
        if grpc and metrics:
            return server, grpc.group(1), metrics.group(1)
        if not server.running():
            raise Failure(f"jkoflow-server exited {server.proc.returncode}:\n"
                          f"{text}")
        time.sleep(0.1)
    raise Failure(f"jkoflow-server printed no addresses in 120 s:\n"
                  f"{server.log()}")


def query(web, expr):
    status, body = http_get(
        f"http://{web}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {"status": "error", "error": body}


def start_prometheus(binary, rules, metrics, work):
    """Starts Prometheus (retrying on a port race); returns (process, web)."""
    config = os.path.join(work, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n"
                "  scrape_interval: 1s\n"
                "  scrape_timeout: 1s\n"
                "  evaluation_interval: 1s\n"
                "rule_files:\n"
                f"  - {json.dumps(rules)}\n"
                "scrape_configs:\n"
                f"  - job_name: {JOB}\n"
                "    static_configs:\n"
                f"      - targets: ['{metrics}']\n")
    for attempt in range(3):
        web = f"127.0.0.1:{free_port()}"
        tsdb = os.path.join(work, f"tsdb{attempt}")
        prom = Process("prometheus", [
            binary, f"--config.file={config}", f"--storage.tsdb.path={tsdb}",
            f"--web.listen-address={web}", "--log.level=warn"
        ], os.path.join(work, f"prometheus{attempt}.log"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and prom.running():
            status, answer = query(web, f'up{{job="{JOB}"}}')
            results = answer.get("data", {}).get("result", [])
            if status == 200 and any(r["value"][1] == "1" for r in results):
                return prom, web
            time.sleep(0.25)
        text = prom.log()
        prom.stop(10)
        if "address already in use" not in text:
            raise Failure("prometheus did not report the server up within "
                          f"60 s; its log:\n{text}")
        log(f"prometheus: {web} was taken; retrying")
    raise Failure("prometheus: no free web port after 3 attempts")


def substitute(expr, variables):
    expr = expr.replace("$__rate_interval", "1m")
    expr = expr.replace("${__rate_interval}", "1m")
    for name, value in variables.items():
        expr = expr.replace("${" + name + "}", value).replace("$" + name, value)
    if "$" in expr:
        raise Failure(f"unsubstituted variable in {expr}")
    return expr


def finite_series(answer):
    if answer.get("status") != "success":
        return None
    data = answer.get("data", {})
    results = data.get("result", [])
    if data.get("resultType") == "scalar":
        results = [{"value": results}]
    return [r for r in results
            if "value" in r and math.isfinite(float(r["value"][1]))]


def panel_targets(dashboard):
    for panel in dashboard["panels"]:
        children = panel.get("panels", []) if panel.get("type") == "row" else []
        for p in [panel] + children:
            for target in p.get("targets", []):
                if target.get("expr"):
                    yield p["title"], target["refId"], target["expr"]


def documented_metrics(readme):
    """The metrics table of docs/observability.md: {name: (type,
    frozenset of labels)}."""
    table = {}
    row = re.compile(r"^\| `((?:jkoflow|process)_\w+)` \| (\w+) \| ([^|]*)\|")
    for line in read(readme).splitlines():
        m = row.match(line)
        if m:
            labels = frozenset(re.findall(r"`(\w+)`", m.group(3)))
            table[m.group(1)] = (m.group(2), labels)
    return table


def exported_metrics(text):
    """The jkoflow_* and process_* families of a /metrics page: {name:
    (type, frozenset of the labels of its series)}."""
    families = {}
    for m in re.finditer(r"^# TYPE ((?:jkoflow|process)_\w+) (\w+)$", text,
                         re.M):
        families[m.group(1)] = (m.group(2), set())
    for m in re.finditer(r"^((?:jkoflow|process)_\w+)(\{[^}]*\})? ", text,
                         re.M):
        name = m.group(1)
        for suffix in ("_bucket", "_sum", "_count"):
            if name not in families and name.endswith(suffix):
                name = name[:-len(suffix)]
        if name in families and m.group(2):
            labels = re.findall(r'(\w+)="', m.group(2))
            families[name][1].update(l for l in labels if l != "le")
    return {name: (kind, frozenset(labels))
            for name, (kind, labels) in families.items()}


def check_metrics_doc(metrics_addr, readme):
    """The documented table against the server's own /metrics, both ways."""
    status, text = http_get(f"http://{metrics_addr}/metrics")
    if status != 200:
        return False, [f"FAIL metrics page: HTTP {status}"]
    documented = documented_metrics(readme)
    exported = exported_metrics(text)
    lines = []
    for name in sorted(set(documented) | set(exported)):
        if name not in exported:
            lines.append(f"FAIL metrics doc: {name} is in the documented table "
                         "but the server does not export it")
        elif name not in documented:
            lines.append(f"FAIL metrics doc: the server exports {name} "
                         "but the documented table does not list it")
        elif documented[name] != exported[name]:
            lines.append(f"FAIL metrics doc: {name} is documented as "
                         f"{documented[name][0]} {sorted(documented[name][1])}"
                         f" but exported as {exported[name][0]} "
                         f"{sorted(exported[name][1])}")
        else:
            lines.append(f"ok   metrics doc: {name}")
    return all(l.startswith("ok") for l in lines), lines


def check_panels(web, dashboard, deadline):
    """Polls every target until it returns data; returns (ok, lines)."""
    variants = [("all", {"model": ".*", "method": ".*"}),
                (MODEL, {"model": MODEL, "method": ".*"})]
    pending = []
    for title, ref, expr in panel_targets(dashboard):
        seen = set()
        for vname, v in variants:
            substituted = substitute(expr, v)
            if substituted not in seen:  # the same query once
                seen.add(substituted)
                pending.append((title, ref, expr, vname, substituted))
    if not pending:
        raise Failure("the dashboard has no panel target with an expr")
    done = {}
    last = {}
    while pending:
        still = []
        for item in pending:
            title, ref, _, vname, expr = item
            status, answer = query(web, expr)
            if answer.get("status") != "success" and answer.get(
                    "errorType") in ("bad_data",):
                # A parse error never heals: fail this target now.
                done[(title, ref, vname)] = (False, expr,
                                             answer.get("error", ""))
                continue
            series = finite_series(answer)
            if series:
                done[(title, ref, vname)] = (True, expr, len(series))
            else:
                last[(title, ref, vname)] = (status, answer)
                still.append(item)
        pending = still
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(1)
    for title, ref, _, vname, expr in pending:
        status, answer = last[(title, ref, vname)]
        done[(title, ref, vname)] = (
            False, expr, f"no finite data (HTTP {status}): "
            f"{json.dumps(answer)[:300]}")
    ok = True
    lines = []
    for (title, ref, vname), (good, expr, what) in done.items():
        ok &= good
        mark = "ok  " if good else "FAIL"
        detail = f"{what} series" if good else what
        lines.append(f"{mark} [{vname:>4}] {title} / {ref}: {detail}\n"
                     f"       {expr}")
    return ok, lines


def check_variables(web, dashboard):
    """label_values(metric, label) of each query variable has the values the
    run produced."""
    expected = {"model": MODEL, "method": "Sample"}
    ok = True
    lines = []
    for var in dashboard["templating"]["list"]:
        if var.get("type") != "query":
            continue
        q = var["query"]["query"] if isinstance(var["query"],
                                                dict) else var["query"]
        m = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", q.strip())
        if not m:
            ok = False
            lines.append(f"FAIL variable {var['name']}: not label_values: {q}")
            continue
        selector, label = m.group(1), m.group(2)
        status, body = http_get(f"http://{web}/api/v1/series?" +
                                urllib.parse.urlencode({"match[]": selector}))
        try:
            series = json.loads(body).get("data", [])
        except ValueError:
            series = []
        values = sorted({s.get(label) for s in series if s.get(label)})
        want = expected.get(var["name"])
        good = status == 200 and values and (want is None or want in values)
        ok &= bool(good)
        lines.append(f"{'ok  ' if good else 'FAIL'} variable {var['name']}: "
                     f"{q} -> {values}")
    return ok, lines


def check_rules(web, deadline):
    """Every rule of rules.yml has been evaluated, without error."""
    while True:
        status, body = http_get(f"http://{web}/api/v1/rules")
        try:
            groups = json.loads(body)["data"]["groups"]
        except (ValueError, KeyError):
            groups = []
        rules = [r for g in groups for r in g["rules"]]
        evaluated = all(r.get("lastEvaluation", "").startswith("0001") is False
                        for r in rules)
        if (rules and evaluated) or time.monotonic() > deadline:
            break
        time.sleep(1)
    bad = [f"{r.get('name')}: health {r.get('health')} {r.get('lastError', '')}"
           for r in rules if r.get("health") != "ok"]
    lines = [f"rules loaded: {len(rules)} in {len(groups)} groups"]
    lines += [f"FAIL rule {b}" for b in bad]
    return bool(rules) and not bad, lines


def check_alert(web, name, deadline):
    """Waits until alert `name` is pending or firing."""
    alerts = []
    while True:
        status, body = http_get(f"http://{web}/api/v1/alerts")
        try:
            alerts = json.loads(body)["data"]["alerts"]
        except (ValueError, KeyError):
            alerts = []
        mine = [a for a in alerts if a["labels"].get("alertname") == name]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(1)
    if not mine:
        return False, [f"FAIL alert {name} neither pending nor firing; "
                       f"alerts: {json.dumps(alerts)[:500]}"]
    return True, [f"ok   alert {name}: {a['state']} {a['labels']}"
                  for a in mine]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="jkoflow-server")
    parser.add_argument("--cli", required=True, help="jkoflow (the CLI)")
    parser.add_argument("--load", required=True, help="jkoflow-load")
    parser.add_argument("--prometheus", default="/usr/bin/prometheus")
    parser.add_argument("--dashboard", required=True, help="jkoflow.json")
    parser.add_argument("--rules", required=True, help="rules.yml")
    parser.add_argument("--readme", required=True,
                        help="docs/observability.md, whose metrics table is checked")
    parser.add_argument("--load_seconds", type=int, default=4)
    parser.add_argument("--keep", action="store_true",
                        help="keep the scratch directory")
    args = parser.parse_args()

    for path, what in [(args.server, "jkoflow-server"), (args.cli, "jkoflow"),
                       (args.load, "jkoflow-load")]:
        if not os.access(path, os.X_OK):
            print(f"FAIL: {what} not found at {path}: build it first",
                  file=sys.stderr)
            return 1
    if not os.access(args.prometheus, os.X_OK):
        print(f"FAIL: {args.prometheus} is not installed: "
              "deploy/install-deps.sh installs the Debian package prometheus",
              file=sys.stderr)
        return 1
    with open(args.dashboard, encoding="utf-8") as f:
        dashboard = json.load(f)
    rules = os.path.abspath(args.rules)

    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="jkoflow-dashboard-")
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    server = prom = None
    ok = False
    try:
        server, grpc_addr, metrics_addr = start_server(args.server, work, env)
        log(f"server on {grpc_addr}, metrics on {metrics_addr}")
        prom, web = start_prometheus(args.prometheus, rules, metrics_addr,
                                     work)
        log(f"prometheus on {web} scrapes the server")

        cli = [args.cli, f"--server={grpc_addr}", "--timeout=120"]
        run(cli + ["train", f"--model={MODEL}", "--dataset=8gaussians",
                   "--n=2000", "--blocks=2", "--iters=20", "--batch=200",
                   "--width=16", "--depth=1", "--steps=1", "--wait"], 300)
        log("trained the model")
        load = run([args.load, f"--server={grpc_addr}", f"--model={MODEL}",
                    "--clients=2", "--points=100",
                    f"--seconds={args.load_seconds}", "--warmup_seconds=0",
                    "--mode=mixed"], 120)
        requests = re.search(r'"requests": (\d+)', load.stdout)
        log(f"load: {requests.group(1) if requests else '?'} requests")
        # Calls that fail, so the error panels have data: NOT_FOUND for an
        # unknown model, FAILED_PRECONDITION for one that failed to load.
        for _ in range(2):
            for model in ("no-such-model", BROKEN):
                failed = run(cli + ["sample", f"--model={model}", "--n=10",
                                    f"--out={work}/x.csv"], 60,
                             expect_ok=False)
                if failed.returncode == 0:
                    raise Failure(f"sampling model {model} succeeded")
            time.sleep(1)

        deadline = time.monotonic() + 60
        panels_ok, panel_lines = check_panels(web, dashboard, deadline)
        vars_ok, var_lines = check_variables(web, dashboard)
        rules_ok, rule_lines = check_rules(web, deadline)
        alert_ok, alert_lines = check_alert(web, "JkoflowModelNotLoadable",
                                            deadline)
        doc_ok, doc_lines = check_metrics_doc(metrics_addr, args.readme)
        for line in (panel_lines + var_lines + rule_lines + alert_lines +
                     doc_lines):
            print(line)
        if not prom.running():
            raise Failure(f"prometheus exited:\n{prom.log()}")
        ok = panels_ok and vars_ok and rules_ok and alert_ok and doc_ok
        print(f"{'PASS' if ok else 'FAIL'}: "
              f"{sum(l.startswith('ok') for l in panel_lines)}/"
              f"{len(panel_lines)} panel queries returned data, "
              f"in {time.monotonic() - started:.1f} s")
    except (Failure, subprocess.TimeoutExpired) as e:
        print(f"FAIL: {e}", file=sys.stderr)
    finally:
        if prom is not None:
            prom.stop(30)
        if server is not None:
            code = server.stop(60)
            if code != 0:
                print(f"FAIL: jkoflow-server exited {code}", file=sys.stderr)
                ok = False
        if not ok:
            for p in (server, prom):
                if p is not None:
                    print(f"--- {p.name} log ---\n{read(p.log_path)[-4000:]}",
                          file=sys.stderr)
        if args.keep:
            print(f"scratch directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
