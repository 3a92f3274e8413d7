#!/usr/bin/python3
"""Offline checks of deploy/k8s and the Dockerfile against the real binaries.

No cluster and no kubectl: every YAML document under deploy/k8s is parsed
(python3-yaml) and checked for what `kubectl apply` would accept but the
service would get wrong:

  * kustomization.yaml lists every manifest (not *.example.yaml), and every
    listed file exists;
  * workload selectors match their pod template labels; each Service selects
    the serving pods (and not the training Job's), except a Job's own
    headless Service (its pods' subdomain);
  * the data-parallel training Job is Indexed with completions =
    parallelism = --world_size, takes the rank from the completion index,
    and rendezvouses at pod <job>-0 of its headless Service, which publishes
    not-ready addresses and exposes the rendezvous port;
  * Service target ports and probe ports are container ports;
  * every --flag given to jkoflow-server (container args, shell scripts, the
    Dockerfile's CMD) is in `jkoflow-server --help`, every flag given to
    the CLI is in `jkoflow <command> --help`, every flag given to the
    training worker is in `jkoflow-train-worker --help`;
  * the image installs every program a manifest runs;
  * the images are the one deploy/build-image.sh tags;
  * the store flags point under the PVC mount, the token and TLS flags under
    the Secret's mount (or a copy an init container makes of it);
  * terminationGracePeriodSeconds exceeds the preStop sleep plus
    --drain_timeout;
  * non-root, read-only root file system, no privilege escalation, all
    capabilities dropped, in every container;
  * the Dockerfile's EXPOSE ports are the Deployment's container ports.

Each failure names the file and the field. Exit 0 when all checks pass.
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys

try:
    import yaml
except ImportError:
    sys.exit("k8s_manifest_test: the Python module yaml is missing: install "
             "the Debian package python3-yaml")

SERVER_UID = 10001
STORE_FLAGS = ("--model_dir", "--job_dir", "--data_dir")
SECRET_FLAGS = ("--auth_token_file", "--tls_cert", "--tls_key",
                "--tls_client_ca")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")
PROGRAMS = ("jkoflow-server", "jkoflow", "jkoflow-train-worker")


class Checker:

    def __init__(self, args):
        self.args = args
        self.root = os.path.dirname(os.path.dirname(os.path.abspath(
            args.k8s)))
        self.errors = []
        self.checks = 0
        self._help = {}

    # --- reporting ---------------------------------------------------------
    def rel(self, path):
        return os.path.relpath(path, self.root)

    def fail(self, where, message):
        self.errors.append(f"{where}: {message}")

    def check(self, ok, where, message):
        self.checks += 1
        if not ok:
            self.fail(where, message)
        return ok

    # --- the binaries' flags ------------------------------------------------
    def help_text(self, argv):
        key = tuple(argv)
        if key not in self._help:
            try:
                run = subprocess.run(argv, capture_output=True, text=True,
                                     timeout=60)
                self._help[key] = (run.returncode, run.stdout + run.stderr)
            except OSError as error:
                self._help[key] = (127, str(error))
        return self._help[key]

    def absl_flags(self, binary):
        """The flags an Abseil program lists in its --help."""
        code, text = self.help_text([binary, "--help"])
        flags = set(re.findall(r"^\s+--([A-Za-z0-9_]+) \(", text, re.M))
        if not flags:
            sys.exit(f"k8s_manifest_test: no flags in '{binary} "
                     f"--help' (exit {code}):\n{text}")
        return flags

    def server_flags(self):
        return self.absl_flags(self.args.server)

    def server_default(self, flag):
        _, text = self.help_text([self.args.server, "--help"])
        # "--drain_timeout (...); default: 30s;" (the text wraps lines)
        m = re.search(r"^\s+--" + re.escape(flag) + r" \(.*?\);\s+default: "
                      r"\"?([^\";\s]*)\"?;", text, re.M | re.S)
        return m.group(1) if m else None

    def cli_flags(self, command):
        """Flags of `jkoflow <command>` (global ones included), or None."""
        code, text = self.help_text([self.args.cli, command, "--help"])
        flags = set(re.findall(r"^\s+--([A-Za-z0-9_]+)[=\s]", text, re.M))
        if code != 0 or "usage: jkoflow " + command not in text:
            return None
        return flags

    def cli_global_flags(self):
        _, text = self.help_text([self.args.cli, "--help"])
        return set(re.findall(r"^\s+--([A-Za-z0-9_]+)[=\s]", text, re.M))

    # --- command lines -------------------------------------------------------
    @staticmethod
    def flag_name(token):
        return token.split("=", 1)[0]

    def check_server_argv(self, where, argv):
        known = self.server_flags()
        for token in argv:
            if not token.startswith("--"):
                continue
            name = self.flag_name(token)[2:]
            self.check(name in known, where,
                       f"--{name} is not a jkoflow-server flag (not in "
                       f"'jkoflow-server --help' of {self.args.server})")

    def check_cli_argv(self, where, argv):
        """argv after the `jkoflow` word: global flags, command, flags."""
        command = next((t for t in argv if not t.startswith("-")), None)
        if not self.check(command is not None, where,
                          f"'jkoflow {' '.join(argv)}' names no command"):
            return
        flags = self.cli_flags(command)
        if not self.check(flags is not None, where,
                          f"'jkoflow {command}' is not a command of "
                          f"{self.args.cli} ('jkoflow {command} --help' "
                          f"fails)"):
            return
        flags |= self.cli_global_flags()
        for token in argv:
            if token.startswith("--"):
                name = self.flag_name(token)[2:]
                self.check(name in flags, where,
                           f"--{name} is not a flag of 'jkoflow {command}' "
                           f"(not in 'jkoflow {command} --help')")

    @staticmethod
    def shell_commands(script):
        """Simple commands of a shell script, as token lists."""
        script = script.replace("\\\n", " ")
        commands = []
        for line in script.splitlines():
            lex = shlex.shlex(line, posix=True, punctuation_chars=True)
            lex.whitespace_split = True
            lex.commenters = "#"
            try:
                tokens = list(lex)
            except ValueError:
                tokens = line.split()
            current = []
            for token in tokens:
                if token and set(token) <= set(";&|()"):
                    if current:
                        commands.append(current)
                    current = []
                else:
                    current.append(token)
            if current:
                commands.append(current)
        return commands

    def binaries_in(self, where, argv):
        """(program, argv after it) for jkoflow-server/jkoflow in argv (a
        container's command + args, or a shell command)."""
        found = []
        if len(argv) >= 3 and os.path.basename(argv[0]) in ("sh", "bash") \
                and argv[1] == "-c":
            for command in self.shell_commands(argv[2]):
                for i, token in enumerate(command):
                    base = os.path.basename(token)
                    if base in PROGRAMS:
                        found.append((base, command[i + 1:]))
                        break
            return found
        base = os.path.basename(argv[0]) if argv else ""
        if base in PROGRAMS:
            found.append((base, argv[1:]))
        return found

    # --- manifests -----------------------------------------------------------
    def load(self):
        k8s = self.args.k8s
        kpath = os.path.join(k8s, "kustomization.yaml")
        where = self.rel(kpath)
        with open(kpath) as f:
            self.kustomization = yaml.safe_load(f)
        listed = self.kustomization.get("resources") or []
        self.check(bool(listed), where, "resources: is empty")
        for name in listed:
            self.check(os.path.isfile(os.path.join(k8s, name)), where,
                       f"resources: lists {name}, which does not exist")
        for name in sorted(os.listdir(k8s)):
            if not name.endswith((".yaml", ".yml")) or \
                    name == "kustomization.yaml" or ".example." in name:
                continue
            self.check(name in listed, where,
                       f"resources: does not list {name} (name it "
                       f"*.example.yaml if it must not be applied)")
        self.docs = []  # (file, doc)
        for name in sorted(os.listdir(k8s)):
            if not name.endswith((".yaml", ".yml")) or \
                    name == "kustomization.yaml":
                continue
            path = os.path.join(k8s, name)
            with open(path) as f:
                try:
                    docs = [d for d in yaml.safe_load_all(f) if d]
                except yaml.YAMLError as error:
                    self.fail(self.rel(path), f"not valid YAML: {error}")
                    continue
            for i, doc in enumerate(docs):
                w = f"{self.rel(path)} (document {i + 1})"
                for key in ("apiVersion", "kind", "metadata"):
                    self.check(key in doc, w, f"{key}: is missing")
                if "metadata" in doc:
                    self.check("name" in doc["metadata"], w,
                               "metadata.name is missing")
                self.docs.append((path, doc, ".example." in name))

    def objects(self, kind, examples=False):
        return [(p, d) for p, d, ex in self.docs
                if d.get("kind") == kind and (examples or not ex)]

    def where(self, path, doc, field=""):
        w = f"{self.rel(path)}: {doc.get('kind')} " \
            f"{doc.get('metadata', {}).get('name')}"
        return f"{w}: {field}" if field else w

    @staticmethod
    def pod_spec(doc):
        return doc.get("spec", {}).get("template", {}).get("spec", {})

    @staticmethod
    def pod_labels(doc):
        return doc.get("spec", {}).get("template", {}).get(
            "metadata", {}).get("labels", {}) or {}

    @staticmethod
    def all_containers(spec):
        return [("initContainers", c) for c in spec.get(
            "initContainers", []) or []] + \
            [("containers", c) for c in spec.get("containers", []) or []]

    def check_selectors(self):
        for kind in WORKLOAD_KINDS:
            for path, doc in self.objects(kind, examples=True):
                labels = self.pod_labels(doc)
                self.check(bool(labels), self.where(path, doc),
                           "spec.template.metadata.labels is empty")
                match = doc.get("spec", {}).get("selector", {}).get(
                    "matchLabels")
                if kind == "Job" and match is None:
                    continue  # generated by the Job controller
                w = self.where(path, doc, "spec.selector.matchLabels")
                if not self.check(bool(match), w, "is missing"):
                    continue
                for key, value in match.items():
                    self.check(labels.get(key) == value, w,
                               f"{key}={value} does not match the pod "
                               f"template label {key}="
                               f"{labels.get(key)}")

    def container_ports(self, doc):
        ports = {}
        for _, c in self.all_containers(self.pod_spec(doc)):
            for p in c.get("ports", []) or []:
                ports[p["containerPort"]] = p.get("name")
        return ports

    def check_services(self):
        deployments = self.objects("Deployment")
        jobs = self.objects("Job")
        subdomains = {self.pod_spec(j).get("subdomain") for _, j in jobs}
        headless = False
        for path, svc in self.objects("Service"):
            selector = svc.get("spec", {}).get("selector") or {}
            w = self.where(path, svc, "spec.selector")
            if not self.check(bool(selector), w, "is empty"):
                continue
            if svc["metadata"]["name"] in subdomains:
                continue  # a training Job's own (check_worker)

            def selects(doc):
                labels = self.pod_labels(doc)
                return all(labels.get(k) == v for k, v in selector.items())

            targets = [d for _, d in deployments if selects(d)]
            self.check(bool(targets), w,
                       f"{selector} selects the pods of no Deployment")
            for jpath, job in jobs:
                self.check(not selects(job), w,
                           f"{selector} also selects the pods of Job "
                           f"{job['metadata']['name']} "
                           f"({self.rel(jpath)})")
            for i, port in enumerate(svc["spec"].get("ports", []) or []):
                target = port.get("targetPort", port.get("port"))
                for d in targets:
                    ports = self.container_ports(d)
                    ok = target in ports if isinstance(target, int) else \
                        target in ports.values()
                    self.check(ok, self.where(path, svc,
                                              f"spec.ports[{i}].targetPort"),
                               f"{target} is not a container port of "
                               f"Deployment {d['metadata']['name']} "
                               f"({ports})")
            spec = svc["spec"]
            if spec.get("clusterIP") == "None" and any(
                    p.get("port") == self.grpc_port
                    for p in spec.get("ports", [])):
                headless = True
            annotations = svc.get("metadata", {}).get("annotations") or {}
            if "prometheus.io/scrape" in annotations:
                wa = self.where(path, svc, "metadata.annotations")
                self.check(annotations["prometheus.io/scrape"] == "true", wa,
                           "prometheus.io/scrape must be \"true\"")
                port = str(annotations.get("prometheus.io/port", ""))
                self.check(port.isdigit() and int(port) == self.metrics_port,
                           wa, f"prometheus.io/port is '{port}', the "
                           f"servers' --metrics_listen port is "
                           f"{self.metrics_port}")
                self.check(annotations.get("prometheus.io/path") ==
                           "/metrics", wa, "prometheus.io/path must be "
                           "/metrics")
                self.metrics_service = True
        self.check(headless, self.rel(self.args.k8s),
                   f"no headless Service (clusterIP: None) with port "
                   f"{self.grpc_port}: gRPC clients need one for "
                   f"client-side load balancing")
        self.check(getattr(self, "metrics_service", False),
                   self.rel(self.args.k8s),
                   "no Service with prometheus.io/scrape annotations")

    # --- the server's container ---------------------------------------------
    @staticmethod
    def flag_values(argv):
        values = {}
        for token in argv:
            if token.startswith("--") and "=" in token:
                name, value = token.split("=", 1)
                values[name] = value
        return values

    @staticmethod
    def port_of(address):
        m = re.search(r":(\d+)$", address or "")
        return int(m.group(1)) if m else None

    def mount_for(self, container, path):
        """The volumeMount whose mountPath holds path (longest match)."""
        best = None
        for m in container.get("volumeMounts", []) or []:
            root = m["mountPath"].rstrip("/") + "/"
            if (path + "/").startswith(root) and (
                    best is None or len(root) > len(best["mountPath"])):
                best = m
        return best

    @staticmethod
    def volume(spec, name):
        for v in spec.get("volumes", []) or []:
            if v.get("name") == name:
                return v
        return None

    def filled_from_secret(self, spec, volume_name):
        """An init container mounts both volume_name and a Secret volume."""
        for c in spec.get("initContainers", []) or []:
            names = [m["name"] for m in c.get("volumeMounts", []) or []]
            if volume_name in names and any(
                    (self.volume(spec, n) or {}).get("secret")
                    for n in names):
                return True
        return False

    def check_paths(self, path, doc, cname, container, values):
        spec = self.pod_spec(doc)
        field = f"spec.template.spec.containers[{cname}]"
        for flag in STORE_FLAGS:
            if flag not in values:
                continue
            w = self.where(path, doc, f"{field} {flag}")
            m = self.mount_for(container, values[flag])
            if not self.check(m is not None, w,
                              f"{values[flag]} is under no volumeMount"):
                continue
            v = self.volume(spec, m["name"]) or {}
            ok = "persistentVolumeClaim" in v or (
                doc["kind"] == "Job" and flag == "--job_dir" and
                "emptyDir" in v)
            self.check(ok, w, f"{values[flag]} is on volume {m['name']}, "
                       f"not the model store's PersistentVolumeClaim")
            self.check(not m.get("readOnly"), w,
                       f"the mount {m['mountPath']} is readOnly")
        for flag in SECRET_FLAGS:
            if not values.get(flag):
                continue
            w = self.where(path, doc, f"{field} {flag}")
            m = self.mount_for(container, values[flag])
            if not self.check(m is not None, w,
                              f"{values[flag]} is under no volumeMount"):
                continue
            v = self.volume(spec, m["name"]) or {}
            ok = "secret" in v or ("emptyDir" in v and
                                   self.filled_from_secret(spec, m["name"]))
            self.check(ok, w, f"{values[flag]} is on volume {m['name']}, "
                       f"neither a Secret nor an emptyDir an init "
                       f"container fills from one")
            self.check(bool(m.get("readOnly")), w,
                       f"the mount {m['mountPath']} is not readOnly")
            if "secret" in v:
                self.check_secret_key(w, v["secret"],
                                      os.path.relpath(values[flag],
                                                      m["mountPath"]))

    def check_secret_key(self, where, volume_secret, key):
        name = volume_secret.get("secretName")
        for _, secret in self.objects("Secret", examples=True):
            if secret["metadata"]["name"] == name:
                keys = set((secret.get("stringData") or {}).keys()) | set(
                    (secret.get("data") or {}).keys())
                self.check(key in keys, where,
                           f"Secret {name} (example) has no key {key} "
                           f"({sorted(keys)})")
                return
        self.fail(where, f"no Secret {name} under deploy/k8s (not even "
                  f"an example)")

    @staticmethod
    def duration_s(text):
        """Seconds of an absl duration ('30s', '1m30s', '500ms')."""
        units = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6,
                 "ns": 1e-9}
        parts = re.findall(r"([0-9.]+)(h|ms|us|ns|m|s)", text or "")
        if not parts or "".join(n + u for n, u in parts) != text:
            return None
        return sum(float(n) * units[u] for n, u in parts)

    def prestop_sleep_s(self, container):
        command = (((container.get("lifecycle") or {}).get("preStop") or
                    {}).get("exec") or {}).get("command") or []
        if len(command) == 2 and os.path.basename(command[0]) == "sleep":
            return float(command[1])
        return float((((container.get("lifecycle") or {}).get("preStop") or
                       {}).get("sleep") or {}).get("seconds", 0))

    def check_security(self, path, doc):
        spec = self.pod_spec(doc)
        pod = spec.get("securityContext") or {}
        for section, c in self.all_containers(spec):
            sc = c.get("securityContext") or {}
            w = self.where(path, doc, f"spec.template.spec.{section}"
                           f"[{c.get('name')}].securityContext")

            def value(key):
                return sc.get(key, pod.get(key))

            self.check(value("runAsNonRoot") is True, w,
                       "runAsNonRoot is not true (here or in the pod's)")
            self.check(value("runAsUser") == SERVER_UID, w,
                       f"runAsUser is {value('runAsUser')}, the image's "
                       f"user is {SERVER_UID}")
            self.check(sc.get("readOnlyRootFilesystem") is True, w,
                       "readOnlyRootFilesystem is not true")
            self.check(sc.get("allowPrivilegeEscalation") is False, w,
                       "allowPrivilegeEscalation is not false")
            self.check("ALL" in ((sc.get("capabilities") or {}).get(
                "drop") or []), w, "capabilities.drop does not hold ALL")
            if sc.get("readOnlyRootFilesystem") and section == "containers":
                m = self.mount_for(c, "/tmp")
                v = self.volume(spec, m["name"]) if m else None
                self.check(v is not None and "emptyDir" in v,
                           w.replace(".securityContext", ".volumeMounts"),
                           "no emptyDir at /tmp (the root file system is "
                           "read-only)")

    def check_images(self, path, doc):
        with open(self.args.build_image) as f:
            script = f.read()
        m = re.search(r"^IMAGE=(\S+)$", script, re.M)
        if not self.check(m is not None, self.rel(self.args.build_image),
                          "no IMAGE=... line to take the image name from"):
            return
        image = m.group(1).strip("\"'")
        self.image = image
        for section, c in self.all_containers(self.pod_spec(doc)):
            name = c.get("image", "").rsplit(":", 1)[0] \
                if "@" not in c.get("image", "") else c["image"].split("@")[0]
            self.check(name == image, self.where(
                path, doc, f"spec.template.spec.{section}[{c.get('name')}]"
                f".image"), f"{c.get('image')} is not {image}, the image "
                f"deploy/build-image.sh tags")

    def check_probes(self, path, doc, cname, container, ports):
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            p = container.get(probe)
            w = self.where(path, doc, f"spec.template.spec.containers"
                           f"[{cname}].{probe}")
            if p is None:
                self.check(probe == "startupProbe" or doc["kind"] != 
                           "Deployment", w, "is missing")
                continue
            if "grpc" in p:
                port = p["grpc"].get("port")
                self.check(isinstance(port, int), w,
                           f"grpc.port {port!r} must be a number "
                           f"(Kubernetes takes no port name here)")
                self.check(port in ports, w, f"grpc.port {port} is not a "
                           f"container port ({sorted(ports)})")
            for kind in ("httpGet", "tcpSocket"):
                if kind in p:
                    port = p[kind].get("port")
                    self.check(port in ports or port in ports.values(), w,
                               f"{kind}.port {port} is not a container port")
            if "exec" in p:
                argv = p["exec"].get("command") or []
                for prog, rest in self.binaries_in(w, argv):
                    if prog != "jkoflow":
                        continue
                    self.check_cli_argv(w + ".exec.command", rest)
                    target = self.flag_values(rest).get("--server")
                    self.check(self.port_of(target) in ports, w,
                               f"--server={target}: not a container port "
                               f"({sorted(ports)})")
            if not any(k in p for k in ("grpc", "httpGet", "tcpSocket",
                                        "exec")):
                self.fail(w, "has no handler")

    def check_workloads(self):
        for kind in WORKLOAD_KINDS:
            for path, doc in self.objects(kind, examples=True):
                spec = self.pod_spec(doc)
                self.check_security(path, doc)
                self.check_images(path, doc)
                for v in spec.get("volumes", []) or []:
                    claim = (v.get("persistentVolumeClaim") or {}).get(
                        "claimName")
                    if claim:
                        pvcs = [d for _, d in self.objects(
                            "PersistentVolumeClaim")
                            if d["metadata"]["name"] == claim]
                        w = self.where(path, doc, f"spec.template.spec."
                                       f"volumes[{v['name']}]")
                        if self.check(bool(pvcs), w, f"no "
                                      f"PersistentVolumeClaim {claim}"):
                            modes = pvcs[0]["spec"].get("accessModes", [])
                            self.check("ReadWriteMany" in modes, w,
                                       f"PersistentVolumeClaim {claim} is "
                                       f"{modes}, not ReadWriteMany (the "
                                       f"replicas and the Job share it)")
                for section, c in self.all_containers(spec):
                    argv = (c.get("command") or []) + (c.get("args") or [])
                    if not c.get("command"):
                        argv = ["jkoflow-server"] + (c.get("args") or [])
                    where = self.where(path, doc, f"spec.template.spec."
                                       f"{section}[{c.get('name')}]")
                    for prog, rest in self.binaries_in(where, argv):
                        self.programs.add(prog)
                        if prog == "jkoflow":
                            self.check_cli_argv(where, rest)
                            continue
                        if prog == "jkoflow-train-worker":
                            self.check_worker(path, doc, c, rest)
                            continue
                        self.check_server_argv(where, rest)
                        self.check_server(path, doc, c, rest)

    def check_server(self, path, doc, container, argv):
        name = container.get("name")
        where = self.where(path, doc, f"spec.template.spec.containers"
                           f"[{name}]")
        values = self.flag_values(argv)
        self.check_paths(path, doc, name, container, values)
        if doc["kind"] != "Deployment":
            return
        ports = self.container_ports(doc)
        self.deployment_ports |= set(ports)
        listen = values.get("--listen", "")
        self.check(listen.startswith("0.0.0.0:"), where,
                   f"--listen={listen}: must listen on 0.0.0.0 in a pod")
        self.grpc_port = self.port_of(listen)
        self.check(self.grpc_port in ports, where,
                   f"--listen port {self.grpc_port} is not a container port "
                   f"({sorted(ports)})")
        self.metrics_port = self.port_of(values.get("--metrics_listen"))
        self.check(self.metrics_port in ports and
                   values["--metrics_listen"].startswith("0.0.0.0:"), where,
                   f"--metrics_listen={values.get('--metrics_listen')}: "
                   f"must be 0.0.0.0 and a container port")
        poll = values.get("--model_poll_s", "0")
        self.check(poll.isdigit() and int(poll) > 0, where,
                   "--model_poll_s is not set: replicas would never see "
                   "the versions the training Job publishes")
        self.check(doc["spec"].get("replicas", 1) >= 2,
                   self.where(path, doc, "spec.replicas"),
                   "fewer than 2 replicas")
        drain = values.get("--drain_timeout") or \
            self.server_default("drain_timeout")
        drain_s = self.duration_s(drain)
        grace = self.pod_spec(doc).get("terminationGracePeriodSeconds", 30)
        sleep_s = self.prestop_sleep_s(container)
        if self.check(drain_s is not None, where,
                      f"--drain_timeout={drain}: not a duration"):
            self.check(grace > drain_s + sleep_s, self.where(
                path, doc, "spec.template.spec.terminationGracePeriodSeconds"),
                f"{grace} s is not longer than the preStop sleep "
                f"({sleep_s:g} s) plus --drain_timeout ({drain}): the kubelet "
                f"would SIGKILL draining calls")
        self.check_probes(path, doc, name, container,
                          {p: n for p, n in ports.items()})

    # --- the data-parallel training Job -----------------------------------
    def check_worker(self, path, doc, container, argv):
        name = container.get("name")
        where = self.where(path, doc, f"spec.template.spec.containers"
                           f"[{name}]")
        known = self.absl_flags(self.args.worker)
        for token in argv:
            if token.startswith("--"):
                flag = self.flag_name(token)[2:]
                self.check(flag in known, where,
                           f"--{flag} is not a jkoflow-train-worker flag (not "
                           f"in 'jkoflow-train-worker --help' of "
                           f"{self.args.worker})")
        values = self.flag_values(argv)
        self.check_paths(path, doc, name, container, values)
        self.check(doc["kind"] == "Job", where,
                   "jkoflow-train-worker runs in a Job")
        spec = doc.get("spec", {})
        ws = self.where(path, doc, "spec")
        self.check(spec.get("completionMode") == "Indexed", ws,
                   "completionMode is not Indexed: the ranks come from the "
                   "completion index")
        world = values.get("--world_size", "1")
        self.check(world.isdigit() and int(world) >= 2, where,
                   f"--world_size={world}: a data-parallel Job has 2 or more "
                   f"ranks")
        for field in ("completions", "parallelism"):
            self.check(str(spec.get(field)) == world, ws,
                       f"{field} is {spec.get(field)}, --world_size is "
                       f"{world}: every rank must run at once")
        self.check("--rank" not in values and "--rank" not in argv, where,
                   "--rank is set: each pod's rank must come from "
                   "$JOB_COMPLETION_INDEX")
        subdomain = self.pod_spec(doc).get("subdomain")
        job = doc["metadata"]["name"]
        rendezvous = values.get("--rendezvous", "")
        host = rendezvous.rsplit(":", 1)[0]
        port = self.port_of(rendezvous)
        self.check(bool(subdomain) and (
            host == f"{job}-0.{subdomain}" or
            host.startswith(f"{job}-0.{subdomain}.")),
                   where, f"--rendezvous={rendezvous}: rank 0 is pod "
                   f"{job}-0 of subdomain {subdomain}, so the host must be "
                   f"{job}-0.{subdomain}")
        self.check(port in self.container_ports(doc), where,
                   f"--rendezvous port {port} is not a container port")
        services = [d for _, d in self.objects("Service")
                    if d["metadata"]["name"] == subdomain]
        w = self.where(path, doc, "spec.template.spec.subdomain")
        if not self.check(bool(services), w,
                          f"no Service {subdomain} (the pods' DNS names)"):
            return
        svc = services[0]["spec"]
        self.check(svc.get("clusterIP") == "None", w,
                   f"Service {subdomain} is not headless")
        self.check(svc.get("publishNotReadyAddresses") is True, w,
                   f"Service {subdomain} does not publish not-ready "
                   f"addresses: the ranks could not resolve each other")
        labels = self.pod_labels(doc)
        self.check(all(labels.get(k) == v for k, v in
                       (svc.get("selector") or {}).items()), w,
                   f"Service {subdomain} does not select the Job's pods")
        self.check(any(p.get("port") == port for p in svc.get("ports", [])),
                   w, f"Service {subdomain} has no port {port}")

    # --- the Dockerfile ------------------------------------------------------
    def check_dockerfile(self):
        path = self.args.dockerfile
        w = self.rel(path)
        with open(path) as f:
            text = f.read().replace("\\\n", " ")
        lines = [l.strip() for l in text.splitlines()
                 if l.strip() and not l.strip().startswith("#")]
        stages = [i for i, l in enumerate(lines)
                  if l.upper().startswith("FROM ")]
        final = lines[stages[-1]:] if stages else lines

        def instruction(name):
            return [l[len(name):].strip() for l in final
                    if l.upper().startswith(name + " ")]

        exposed = set()
        for e in instruction("EXPOSE"):
            exposed |= {int(p.split("/")[0]) for p in e.split()}
        self.check(exposed == self.deployment_ports, w + ": EXPOSE",
                   f"{sorted(exposed)} differs from the Deployment's "
                   f"container ports {sorted(self.deployment_ports)}")

        def exec_form(name):
            values = instruction(name)
            if not self.check(len(values) == 1, f"{w}: {name}",
                              f"expected one {name}, found {len(values)}"):
                return []
            try:
                argv = json.loads(values[0])
            except ValueError:
                argv = None
            self.check(isinstance(argv, list), f"{w}: {name}",
                       "not in exec (JSON array) form")
            return argv or []

        copied = " ".join(instruction("COPY"))
        for prog in sorted(self.programs):
            self.check(re.search(r"/" + re.escape(prog) + r"(\s|$)", copied)
                       is not None, w + ": COPY",
                       f"the image does not install {prog}, which a "
                       f"manifest runs")

        entrypoint = exec_form("ENTRYPOINT")
        self.check(entrypoint[:1] == ["jkoflow-server"], w + ": ENTRYPOINT",
                   f"{entrypoint} does not start jkoflow-server")
        cmd = exec_form("CMD")
        self.check_server_argv(w + ": CMD", entrypoint[1:] + cmd)
        values = self.flag_values(cmd)
        self.check(self.port_of(values.get("--listen")) in exposed and
                   values.get("--listen", "").startswith("0.0.0.0:"),
                   w + ": CMD", f"--listen={values.get('--listen')} is not "
                   f"0.0.0.0 on an EXPOSEd port")
        self.check(self.port_of(values.get("--metrics_listen")) in exposed,
                   w + ": CMD", f"--metrics_listen="
                   f"{values.get('--metrics_listen')} is not an EXPOSEd port")
        volumes = " ".join(instruction("VOLUME"))
        for flag in STORE_FLAGS:
            self.check(flag in values and volumes and
                       values[flag].startswith(volumes.strip("[]\" ")),
                       w + ": CMD", f"{flag}={values.get(flag)} is not "
                       f"under the VOLUME {volumes}")
        user = " ".join(instruction("USER"))
        self.check(user.split(":")[0] == str(SERVER_UID), w + ": USER",
                   f"'{user}' is not uid {SERVER_UID}")
        health = instruction("HEALTHCHECK")
        if self.check(len(health) == 1, w + ": HEALTHCHECK", "missing"):
            m = re.search(r"CMD\s+(\[.*\])", health[0])
            argv = json.loads(m.group(1)) if m else []
            self.check(argv[:1] == ["jkoflow"], w + ": HEALTHCHECK",
                       "does not run jkoflow health")
            if argv[:1] == ["jkoflow"]:
                self.check_cli_argv(w + ": HEALTHCHECK", argv[1:])

    def run(self):
        self.deployment_ports = set()
        self.programs = set()
        self.grpc_port = None
        self.metrics_port = None
        self.load()
        self.check_selectors()
        self.check_workloads()
        self.check(bool(self.objects("Deployment")), self.rel(self.args.k8s),
                   "no Deployment")
        self.check_services()
        image = getattr(self, "image", None)
        for i, entry in enumerate(self.kustomization.get("images") or []):
            self.check(entry.get("name") == image,
                       f"{self.rel(self.args.k8s)}/kustomization.yaml",
                       f"images[{i}].name {entry.get('name')} is not "
                       f"{image}, the image deploy/build-image.sh tags")
        self.check_dockerfile()
        for e in self.errors:
            print("FAIL " + e)
        print(f"k8s_manifest_test: {self.checks} checks, "
              f"{len(self.errors)} failed")
        return 1 if self.errors else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True,
                        help="the jkoflow-server binary")
    parser.add_argument("--cli", required=True, help="the jkoflow binary")
    parser.add_argument("--worker", required=True,
                        help="the jkoflow-train-worker binary")
    parser.add_argument("--k8s", required=True, help="deploy/k8s")
    parser.add_argument("--dockerfile", required=True, help="Dockerfile")
    parser.add_argument("--build-image", required=True,
                        help="deploy/build-image.sh")
    return Checker(parser.parse_args()).run()


if __name__ == "__main__":
    sys.exit(main())
