"""Deletes old Dask clusters, finished pods and finished flow-run Jobs.

What to sweep comes from the environment the CronJob sets: the namespaces (CLUSTER_NAMESPACES,
RUN_NAMESPACES, comma-separated), the label selectors (CLUSTER_SELECTOR, RUN_POD_SELECTOR,
DASK_POD_SELECTOR, JOB_SELECTOR) and the ages in seconds past which each kind goes
(MAX_CLUSTER_AGE, POD_AGE, JOB_AGE). It talks to the API server as the pod's ServiceAccount and
exits 1 when anything could not be listed or deleted.
"""
import datetime
import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


class Cluster:
    """The Kubernetes API, called with the pod's ServiceAccount token."""

    def __init__(self, environ, account=ACCOUNT):
        self.api = "https://%s:%s" % (environ["KUBERNETES_SERVICE_HOST"], environ["KUBERNETES_SERVICE_PORT"])
        self.account = account
        self.context = ssl.create_default_context(cafile=account + "/ca.crt")

    def call(self, method, path, query=None):
        with open(self.account + "/token") as token:
            headers = {"Authorization": "Bearer " + token.read().strip(), "Content-Type": "application/json"}
        body = json.dumps({"propagationPolicy": "Background"}).encode() if method == "DELETE" else None
        url = self.api + path + ("?" + urllib.parse.urlencode(query) if query else "")
        request = urllib.request.Request(url, data=body, method=method, headers=headers)
        with urllib.request.urlopen(request, context=self.context, timeout=30) as response:
            return json.load(response)


def parse_time(timestamp):
    return datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def created(item):
    return item["metadata"]["creationTimestamp"]


def finished(job):
    """When a Job completed or failed, or None while it runs."""
    status = job.get("status", {})
    if status.get("completionTime"):
        return status["completionTime"]
    for condition in status.get("conditions", []):
        if condition["type"] in ("Complete", "Failed") and condition["status"] == "True":
            return condition["lastTransitionTime"]
    return None


def ended(pod):
    """When the last container of a finished pod ended; its creation if none reports it."""
    times = [s["state"]["terminated"]["finishedAt"] for s in pod.get("status", {}).get("containerStatuses", [])
             if s.get("state", {}).get("terminated", {}).get("finishedAt")]
    return max(times, key=parse_time) if times else created(pod)


def namespaces(environ, variable):
    return [n for n in environ.get(variable, "").split(",") if n]


def steps(environ):
    """What to sweep, in order: (collection, list query, age in seconds, when an item counts from)."""
    found = []
    for ns in namespaces(environ, "CLUSTER_NAMESPACES"):
        found.append(("/apis/kubernetes.dask.org/v1/namespaces/%s/daskclusters" % ns,
                      {"labelSelector": environ["CLUSTER_SELECTOR"]}, int(environ["MAX_CLUSTER_AGE"]), created))
    for ns in namespaces(environ, "RUN_NAMESPACES"):
        for phase in ("Succeeded", "Failed"):
            for selector in (environ["RUN_POD_SELECTOR"], environ["DASK_POD_SELECTOR"]):
                found.append(("/api/v1/namespaces/%s/pods" % ns,
                              {"labelSelector": selector, "fieldSelector": "status.phase=" + phase}, int(environ["POD_AGE"]), ended))
        found.append(("/apis/batch/v1/namespaces/%s/jobs" % ns,
                      {"labelSelector": environ["JOB_SELECTOR"]}, int(environ["JOB_AGE"]), finished))
    return found


def sweep(call, now, collection, query, older_than, since):
    """Deletes what is older than older_than seconds; returns the number of failures."""
    failed = 0
    for item in call("GET", collection, query)["items"]:
        moment = since(item)
        if not moment or (now - parse_time(moment)).total_seconds() <= older_than:
            continue
        try:
            call("DELETE", collection + "/" + item["metadata"]["name"])
            print("deleted %s/%s" % (collection, item["metadata"]["name"]), flush=True)
        except urllib.error.HTTPError as error:
            if error.code not in (404, 409):  # already gone, or being deleted
                failed += 1
                print("failed %s/%s: %s" % (collection, item["metadata"]["name"], error), file=sys.stderr, flush=True)
    return failed


def run(call, environ, now):
    """Sweeps every step; returns the number of failures."""
    failures = 0
    for step in steps(environ):
        try:
            failures += sweep(call, now, *step)
        except Exception as error:  # one namespace's failure does not stop the others
            failures += 1
            print("failed %s: %s" % (step[0], error), file=sys.stderr, flush=True)
    return failures


def main():
    cluster = Cluster(os.environ)
    sys.exit(1 if run(cluster.call, os.environ, datetime.datetime.now(datetime.timezone.utc)) else 0)


if __name__ == "__main__":
    main()
