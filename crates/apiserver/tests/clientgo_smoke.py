"""client-go smoke script: drives client-go's dynamic client (through the
kubernetes-lite Python wrapper) against the server whose kubeconfig path is
argv[1]. Run by tests/clientgo_smoke.rs; prints one line per check and
'N passed, 0 failed' at the end, exits non-zero on the first failure."""

import sys
import threading

from kubernetes_lite.client import DynamicClient
from kubernetes_lite.errors import ConflictError, ForbiddenError, InvalidError, NotFoundError

checks = 0


def check(name, condition, detail=""):
    global checks
    if not condition:
        print(f"FAIL {name}: {detail}", flush=True)
        sys.exit(1)
    checks += 1
    print(f"ok {name}", flush=True)


def main():
    with open(sys.argv[1], "rb") as f:
        client = DynamicClient(f.read())
    cms = client.resource("v1", "ConfigMap")
    deployments = client.resource("apps/v1", "Deployment")

    # Watch first, so every later write is an event.
    listed = cms.list(namespace="default")
    check("list is a ConfigMapList", listed["kind"] == "ConfigMapList", listed.get("kind"))
    watch = cms.watch(namespace="default", resource_version=listed["metadata"]["resourceVersion"])
    events = []
    done = threading.Event()

    def consume():
        for event in watch:
            # kubernetes-lite serialises Go's watch.Event struct: keys "Type" and "Object".
            kind, obj = event.get("type", event.get("Type")), event.get("object", event.get("Object")) or {}
            if kind is None:
                print(f"unexpected event shape: {event}", flush=True)
                done.set()
                return
            events.append((kind, obj.get("metadata", {}).get("name")))
            if kind == "DELETED":
                done.set()
                return

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()

    created = cms.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cg", "labels": {"app": "cg"}},
                          "data": {"a": "1"}}, namespace="default")
    check("create sets uid and resourceVersion", created["metadata"].get("uid") and created["metadata"].get("resourceVersion"))
    got = cms.get(name="cg", namespace="default")
    check("get returns the object", got["data"] == {"a": "1"}, got)
    try:
        cms.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cg"}}, namespace="default")
        check("duplicate create fails", False, "no error")
    except RuntimeError as err:
        check("duplicate create is AlreadyExists", type(err).__name__ == "AlreadyExistsError", repr(err))
    try:
        cms.get(name="missing", namespace="default")
        check("get of a missing object fails", False, "no error")
    except NotFoundError as err:
        check("missing object is NotFound", 'configmaps "missing" not found' in str(err), str(err))

    stale = dict(got)
    got["data"]["b"] = "2"
    updated = cms.update(got, namespace="default")
    check("update bumps resourceVersion", updated["metadata"]["resourceVersion"] != got["metadata"]["resourceVersion"])
    try:
        stale["data"] = {"z": "0"}
        cms.update(stale, namespace="default")
        check("stale update fails", False, "no error")
    except ConflictError as err:
        check("stale update is a Conflict", "the object has been modified" in str(err), str(err))

    patched = cms.patch("cg", "application/merge-patch+json", {"data": {"c": "3"}}, namespace="default")
    check("merge patch", patched["data"] == {"a": "1", "b": "2", "c": "3"}, patched["data"])
    patched = cms.patch("cg", "application/json-patch+json", [{"op": "remove", "path": "/data/a"}], namespace="default")
    check("json patch", "a" not in patched["data"], patched["data"])
    patched = cms.patch("cg", "application/strategic-merge-patch+json", {"metadata": {"labels": {"tier": "x"}}}, namespace="default")
    check("strategic merge patch", patched["metadata"]["labels"] == {"app": "cg", "tier": "x"}, patched["metadata"])

    applied = cms.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa", "namespace": "default"},
                         "data": {"k": "v"}}, field_manager="python")
    check("server-side apply creates", applied["data"] == {"k": "v"}, applied)
    managers = [m["manager"] for m in applied["metadata"].get("managedFields", [])]
    check("apply records its field manager", "python" in managers, managers)
    try:
        cms.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa", "namespace": "default"},
                   "data": {"k": "other"}}, field_manager="rival")
        check("conflicting apply fails", False, "no error")
    except ConflictError as err:
        check("conflicting apply is a Conflict", 'conflict with "python"' in str(err), str(err))
    forced = cms.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa", "namespace": "default"},
                        "data": {"k": "other"}}, field_manager="rival", force=True)
    check("forced apply takes ownership", forced["data"] == {"k": "other"}, forced)

    selected = cms.list(namespace="default", label_selector="app=cg")
    check("label selector", [i["metadata"]["name"] for i in selected["items"]] == ["cg"], selected["items"])

    try:
        deployments.create({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bad"},
                            "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}},
                                     "spec": {"containers": [{"name": "c", "image": "i"}]}}}}, namespace="no-such-ns")
        check("create in a missing namespace fails", False, "no error")
    except NotFoundError as err:
        check("missing namespace is NotFound", 'namespaces "no-such-ns" not found' in str(err), str(err))

    cms.delete("cg", namespace="default")
    check("watch saw the changes", done.wait(10), events)
    watch.stop()
    kinds = [t for t, n in events if n == "cg"]
    check("watch event sequence", kinds[0] == "ADDED" and kinds[-1] == "DELETED" and "MODIFIED" in kinds, kinds)
    print(f"{checks} passed, 0 failed", flush=True)


if __name__ == "__main__":
    main()
