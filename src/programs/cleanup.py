"""Deletes old Dask clusters, finished pods and finished flow-run Jobs."""
import datetime
import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
API = "https://%s:%s" % (os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"])
CONTEXT = ssl.create_default_context(cafile=ACCOUNT + "/ca.crt")
NOW = datetime.datetime.now(datetime.timezone.utc)


def call(method, path, query=None):
    with open(ACCOUNT + "/token") as token:
        headers = {"Authorization": "Bearer " + token.read().strip(), "Content-Type": "application/json"}
    body = json.dumps({"propagationPolicy": "Background"}).encode() if method == "DELETE" else None
    url = API + path + ("?" + urllib.parse.urlencode(query) if query else "")
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    with urllib.request.urlopen(request, context=CONTEXT, timeout=30) as response:
        return json.load(response)


def age(timestamp):
    return (NOW - datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))).total_seconds()


def created(item):
    return item["metadata"]["creationTimestamp"]


def finished(job):
    status = job.get("status", {})
    if status.get("completionTime"):
        return status["completionTime"]
    for condition in status.get("conditions", []):
        if condition["type"] in ("Complete", "Failed") and condition["status"] == "True":
            return condition["lastTransitionTime"]
    return None


def ended(pod):
    times = [s["state"]["terminated"]["finishedAt"] for s in pod.get("status", {}).get("containerStatuses", [])
             if s.get("state", {}).get("terminated", {}).get("finishedAt")]
    return max(times) if times else created(pod)


def sweep(collection, query, older_than, since):
    """Deletes what is older than older_than; returns the number of failures."""
    failed = 0
    for item in call("GET", collection, query)["items"]:
        moment = since(item)
        if not moment or age(moment) <= older_than:
            continue
        try:
            call("DELETE", collection + "/" + item["metadata"]["name"])
            print("deleted %s/%s" % (collection, item["metadata"]["name"]), flush=True)
        except urllib.error.HTTPError as error:
            if error.code not in (404, 409):  # already gone, or being deleted
                failed += 1
                print("failed %s/%s: %s" % (collection, item["metadata"]["name"], error), file=sys.stderr, flush=True)
    return failed


def namespaces(variable):
    return [n for n in os.environ.get(variable, "").split(",") if n]


steps = []
for ns in namespaces("CLUSTER_NAMESPACES"):
    steps.append(("/apis/kubernetes.dask.org/v1/namespaces/%s/daskclusters" % ns,
                  {"labelSelector": os.environ["CLUSTER_SELECTOR"]}, int(os.environ["MAX_CLUSTER_AGE"]), created))
for ns in namespaces("RUN_NAMESPACES"):
    for phase in ("Succeeded", "Failed"):
        for selector in (os.environ["RUN_POD_SELECTOR"], os.environ["DASK_POD_SELECTOR"]):
            steps.append(("/api/v1/namespaces/%s/pods" % ns,
                          {"labelSelector": selector, "fieldSelector": "status.phase=" + phase}, int(os.environ["POD_AGE"]), ended))
    steps.append(("/apis/batch/v1/namespaces/%s/jobs" % ns,
                  {"labelSelector": os.environ["JOB_SELECTOR"]}, int(os.environ["JOB_AGE"]), finished))
failures = 0
for step in steps:
    try:
        failures += sweep(*step)
    except Exception as error:  # one namespace's failure does not stop the others
        failures += 1
        print("failed %s: %s" % (step[0], error), file=sys.stderr, flush=True)
sys.exit(1 if failures else 0)
