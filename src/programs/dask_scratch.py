"""Throwaway Dask clusters for Prefect flow runs.

Use: @flow(task_runner=DaskTaskRunner(cluster_class="dask_scratch.cluster"))
"""
import os
import uuid

import yaml
from dask_kubernetes.operator import KubeCluster
from dask_kubernetes.operator.kubecluster.kubecluster import CreateMode

SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "daskcluster.yaml")


def cluster(**kwargs):
    """A KubeCluster of the mounted spec, named after the flow run and unique."""
    # A suffix of its own: subflows share the flow run's id, and a retried pod may find its orphan.
    run_id = (os.environ.get("PREFECT__FLOW_RUN_ID") or "run")[:36]
    name = ("dask-%s-%s" % (run_id, uuid.uuid4().hex[:8])).lower()
    with open(SPEC) as spec_file:
        spec = yaml.safe_load(spec_file)
    spec["metadata"]["name"] = name
    spec["spec"]["scheduler"]["service"]["selector"]["dask.org/cluster-name"] = name
    kwargs.setdefault("namespace", os.environ["DASK_KUBERNETES__NAMESPACE"])
    kwargs.setdefault("create_mode", CreateMode.CREATE_ONLY)
    kwargs.setdefault("shutdown_on_close", True)
    return KubeCluster(custom_cluster_spec=spec, **kwargs)
