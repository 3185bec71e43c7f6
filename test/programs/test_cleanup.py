"""What the Dask cleanup CronJob's program (src/programs/cleanup.py) selects and deletes.

Its functions run against a recorded API (what each list returns, which deletes fail), with the
environment DaskScratch gives the container in the synthesized dask variant (npm run synth first)
and with one written here that has several namespaces.
"""
import datetime
import importlib.util
import io
import pathlib
import sys
import urllib.error

import pytest
import yaml

sys.dont_write_bytecode = True  # nothing beside the shipped programs
ROOT = pathlib.Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("cleanup", ROOT / "src" / "programs" / "cleanup.py")
cleanup = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cleanup)

NOW = datetime.datetime(2026, 6, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)


def at(seconds_ago):
    return (NOW - datetime.timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def variant_environment():
    """The environment of the cleanup container in dist/dask.k8s.yaml (npm run synth)."""
    objects = yaml.safe_load_all((ROOT / "dist" / "dask.k8s.yaml").read_text())
    job = next(o for o in objects if o and o["kind"] == "CronJob" and o["metadata"]["name"] == "dask-cleanup")
    container = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["python", "/etc/dask-cleanup/cleanup.py"], container["args"]
    return {e["name"]: e["value"] for e in container["env"]}


ENV = {
    "CLUSTER_NAMESPACES": "scratch",
    "CLUSTER_SELECTOR": "app.kubernetes.io/managed-by=cdk8s-prefect",
    "MAX_CLUSTER_AGE": "3600",
    "RUN_NAMESPACES": "runs-a,runs-b",
    "RUN_POD_SELECTOR": "prefect.io/flow-run-id",
    "DASK_POD_SELECTOR": "dask.org/cluster-name",
    "POD_AGE": "600",
    "JOB_SELECTOR": "prefect.io/flow-run-id",
    "JOB_AGE": "86400",
}


class Api:
    """Answers lists from `listed` (collection -> items, for every query) and records each call."""

    def __init__(self, listed, failing=None, unlistable=()):
        self.listed = listed
        self.failing = failing or {}
        self.unlistable = unlistable
        self.calls = []

    def __call__(self, method, path, query=None):
        self.calls.append((method, path, query))
        if method == "GET":
            if path in self.unlistable:
                raise urllib.error.URLError("connection refused")
            return {"items": self.listed.get(path, [])}
        if path in self.failing:
            raise urllib.error.HTTPError(path, self.failing[path], "status %d" % self.failing[path], {}, io.BytesIO())
        return {}

    def deleted(self):
        return [path for method, path, _ in self.calls if method == "DELETE"]


def item(name, **fields):
    return {"metadata": {"name": name, "creationTimestamp": fields.pop("created", at(0))}, **fields}


def test_the_dask_variant_s_cleanup_sweeps_its_scratch_namespace_and_the_pool_s_runs():
    env = variant_environment()
    assert sorted(env) == sorted(ENV)
    clusters = "/apis/kubernetes.dask.org/v1/namespaces/dask-scratch/daskclusters"
    pods = "/api/v1/namespaces/prefect/pods"
    jobs = "/apis/batch/v1/namespaces/prefect/jobs"
    api = Api({
        clusters: [item("a-day-old", created=at(86401)), item("an-hour-old", created=at(3600))],
        pods: [item("ended-7h-ago", status={"containerStatuses": [{"state": {"terminated": {"finishedAt": at(7 * 3600)}}}]})],
        jobs: [item("finished-2d-ago", status={"completionTime": at(2 * 86400)})],
    })
    assert cleanup.run(api, env, NOW) == 0
    assert [(path, query) for method, path, query in api.calls if method == "GET"] == [
        (clusters, {"labelSelector": "app.kubernetes.io/instance=dask,app.kubernetes.io/component=dask-cluster"}),
        (pods, {"labelSelector": "app.kubernetes.io/component=flow-run,app.kubernetes.io/instance in (dask-worker)",
                "fieldSelector": "status.phase=Succeeded"}),
        (pods, {"labelSelector": "dask.org/component,app.kubernetes.io/instance=dask", "fieldSelector": "status.phase=Succeeded"}),
        (pods, {"labelSelector": "app.kubernetes.io/component=flow-run,app.kubernetes.io/instance in (dask-worker)",
                "fieldSelector": "status.phase=Failed"}),
        (pods, {"labelSelector": "dask.org/component,app.kubernetes.io/instance=dask", "fieldSelector": "status.phase=Failed"}),
        (jobs, {"labelSelector": "prefect.io/flow-run-id,prefect.io/work-pool-name in (dask)"}),
    ]
    # The recorded API answers every pod list with the same pod: each of the four lists deletes it.
    assert api.deleted() == [clusters + "/a-day-old"] + [pods + "/ended-7h-ago"] * 4 + [jobs + "/finished-2d-ago"]


def test_steps_list_each_namespace_with_its_selectors_and_ages():
    found = cleanup.steps(ENV)
    assert [(path, query, age) for path, query, age, _ in found] == [
        ("/apis/kubernetes.dask.org/v1/namespaces/scratch/daskclusters", {"labelSelector": ENV["CLUSTER_SELECTOR"]}, 3600),
        ("/api/v1/namespaces/runs-a/pods", {"labelSelector": "prefect.io/flow-run-id", "fieldSelector": "status.phase=Succeeded"}, 600),
        ("/api/v1/namespaces/runs-a/pods", {"labelSelector": "dask.org/cluster-name", "fieldSelector": "status.phase=Succeeded"}, 600),
        ("/api/v1/namespaces/runs-a/pods", {"labelSelector": "prefect.io/flow-run-id", "fieldSelector": "status.phase=Failed"}, 600),
        ("/api/v1/namespaces/runs-a/pods", {"labelSelector": "dask.org/cluster-name", "fieldSelector": "status.phase=Failed"}, 600),
        ("/apis/batch/v1/namespaces/runs-a/jobs", {"labelSelector": "prefect.io/flow-run-id"}, 86400),
        ("/api/v1/namespaces/runs-b/pods", {"labelSelector": "prefect.io/flow-run-id", "fieldSelector": "status.phase=Succeeded"}, 600),
        ("/api/v1/namespaces/runs-b/pods", {"labelSelector": "dask.org/cluster-name", "fieldSelector": "status.phase=Succeeded"}, 600),
        ("/api/v1/namespaces/runs-b/pods", {"labelSelector": "prefect.io/flow-run-id", "fieldSelector": "status.phase=Failed"}, 600),
        ("/api/v1/namespaces/runs-b/pods", {"labelSelector": "dask.org/cluster-name", "fieldSelector": "status.phase=Failed"}, 600),
        ("/apis/batch/v1/namespaces/runs-b/jobs", {"labelSelector": "prefect.io/flow-run-id"}, 86400),
    ]
    per_run_namespace = [cleanup.ended] * 4 + [cleanup.finished]
    assert [since for _, _, _, since in found] == [cleanup.created] + per_run_namespace * 2


def test_no_namespaces_no_steps():
    assert cleanup.steps({**ENV, "CLUSTER_NAMESPACES": "", "RUN_NAMESPACES": ","}) == []


def test_a_dask_cluster_goes_once_it_is_older_than_its_age_and_not_at_it():
    clusters = "/apis/kubernetes.dask.org/v1/namespaces/scratch/daskclusters"
    api = Api({clusters: [item("old", created=at(3601)), item("exactly", created=at(3600)), item("young", created=at(10))]})
    assert cleanup.run(api, {**ENV, "RUN_NAMESPACES": ""}, NOW) == 0
    assert api.deleted() == [clusters + "/old"]


def test_a_finished_pod_counts_from_when_its_last_container_ended():
    pods = "/api/v1/namespaces/runs-a/pods"
    ended_late = item("ended-late", created=at(5000), status={"containerStatuses": [
        {"state": {"terminated": {"finishedAt": at(4000)}}},
        {"state": {"terminated": {"finishedAt": at(100)}}},
    ]})
    ended_early = item("ended-early", created=at(5000), status={"containerStatuses": [
        {"state": {"terminated": {"finishedAt": at(700)}}},
    ]})
    never_reported = item("never-reported", created=at(900), status={})
    assert cleanup.ended(ended_late) == at(100)
    assert cleanup.ended(never_reported) == at(900)
    api = Api({pods: [ended_late, ended_early, never_reported]})
    cleanup.sweep(api, NOW, pods, {}, 600, cleanup.ended)
    assert api.deleted() == [pods + "/ended-early", pods + "/never-reported"]


def test_a_job_goes_a_day_after_it_finished_and_never_while_it_runs():
    jobs = "/apis/batch/v1/namespaces/runs-b/jobs"
    listed = [
        item("completed", status={"completionTime": at(86401)}),
        item("failed", status={"conditions": [
            {"type": "FailureTarget", "status": "True", "lastTransitionTime": at(90000)},
            {"type": "Failed", "status": "True", "lastTransitionTime": at(86500)},
        ]}),
        item("failed-recently", status={"conditions": [{"type": "Failed", "status": "True", "lastTransitionTime": at(50)}]}),
        item("suspended", created=at(999999), status={"conditions": [
            {"type": "Suspended", "status": "True", "lastTransitionTime": at(999999)},
        ]}),
        item("not-failed", created=at(999999), status={"conditions": [
            {"type": "Failed", "status": "False", "lastTransitionTime": at(999999)},
        ]}),
        item("running", created=at(999999), status={"active": 1}),
        item("new", created=at(999999)),
    ]
    assert [cleanup.finished(j) for j in listed] == [at(86401), at(86500), at(50), None, None, None, None]
    api = Api({jobs: listed})
    cleanup.sweep(api, NOW, jobs, {}, 86400, cleanup.finished)
    assert api.deleted() == [jobs + "/completed", jobs + "/failed"]


def test_deletes_propagate_in_the_background(monkeypatch, tmp_path):
    (tmp_path / "token").write_text("the-token\n")
    sent = []

    class Response(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def urlopen(request, context, timeout):
        sent.append((request.get_method(), request.full_url, request.data, dict(request.header_items())))
        return Response(b'{"items": []}')

    monkeypatch.setattr(cleanup.ssl, "create_default_context", lambda cafile: ("context", cafile))
    monkeypatch.setattr(cleanup.urllib.request, "urlopen", urlopen)
    cluster = cleanup.Cluster({"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}, str(tmp_path))
    assert cluster.context == ("context", str(tmp_path) + "/ca.crt")
    cluster.call("GET", "/api/v1/namespaces/a/pods", {"labelSelector": "a=b,c", "fieldSelector": "status.phase=Failed"})
    cluster.call("DELETE", "/api/v1/namespaces/a/pods/p")
    assert sent == [
        ("GET", "https://10.0.0.1:443/api/v1/namespaces/a/pods?labelSelector=a%3Db%2Cc&fieldSelector=status.phase%3DFailed", None,
         {"Authorization": "Bearer the-token", "Content-type": "application/json"}),
        ("DELETE", "https://10.0.0.1:443/api/v1/namespaces/a/pods/p", b'{"propagationPolicy": "Background"}',
         {"Authorization": "Bearer the-token", "Content-type": "application/json"}),
    ]


@pytest.mark.parametrize("code, failures", [(404, 0), (409, 0), (403, 1), (500, 1)])
def test_a_delete_that_finds_it_gone_or_going_is_no_failure(code, failures, capsys):
    pods = "/api/v1/namespaces/runs-a/pods"
    api = Api({pods: [item("a", created=at(9999)), item("b", created=at(9999))]}, failing={pods + "/a": code})
    assert cleanup.sweep(api, NOW, pods, {}, 600, cleanup.ended) == failures
    assert api.deleted() == [pods + "/a", pods + "/b"]
    out, err = capsys.readouterr()
    assert out == "deleted %s/b\n" % pods
    assert ("failed %s/a" % pods in err) == bool(failures)


def test_a_namespace_that_cannot_be_listed_fails_the_run_but_the_others_are_swept(capsys):
    jobs_b = "/apis/batch/v1/namespaces/runs-b/jobs"
    api = Api({jobs_b: [item("done", status={"completionTime": at(90000)})]}, unlistable={"/apis/batch/v1/namespaces/runs-a/jobs"})
    assert cleanup.run(api, ENV, NOW) == 1
    assert api.deleted() == [jobs_b + "/done"]
    assert "failed /apis/batch/v1/namespaces/runs-a/jobs: " in capsys.readouterr().err


@pytest.mark.parametrize("unlistable, code", [((), 0), (("/apis/batch/v1/namespaces/runs-b/jobs",), 1)])
def test_main_exits_1_on_a_failure_and_0_otherwise(unlistable, code, monkeypatch):
    class Cluster:
        def __init__(self, environ):
            assert environ == ENV
            self.call = Api({}, unlistable=unlistable)

    monkeypatch.setattr(cleanup, "Cluster", Cluster)
    monkeypatch.setattr(cleanup.os, "environ", dict(ENV))
    with pytest.raises(SystemExit) as exit:
        cleanup.main()
    assert exit.value.code == code
