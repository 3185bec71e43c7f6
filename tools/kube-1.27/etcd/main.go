// Command etcd is the etcd server, at the release the Kubernetes module of this folder requires,
// for the control plane the cluster tests start.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
