#!/usr/bin/env bash
# Regenerates importers/kubernetes/testdata from a real Kubernetes v1.32.4
# control plane: etcd (embedded, go.etcd.io/etcd/server/v3), kube-apiserver,
# kube-controller-manager and kube-scheduler, all built from the Go module
# proxy by this directory's own module (it is not part of Ripple's module),
# serving on 127.0.0.1 only. There is no kubelet: nodes are registered with
# the status a kubelet would post, pods are bound by the real scheduler, and
# their status (phase, IPs) is written through the status subresource as a
# kubelet would. Everything else (ReplicaSets, pods, PVC binding, service
# IPs, uids, owner references) is done by the real controllers.
#
# Usage: scripts/k8s-fixtures/generate.sh [OUTDIR]
#   OUTDIR defaults to importers/kubernetes/testdata.
#   BIN=dir reuses binaries built before; KEEP=1 keeps the work directory;
#   PORT_BASE=n moves the ports (etcd n, n+1; apiserver n+2).
# Needs: go, kubectl (v1.32), openssl. Built binaries stay in the work
# directory under /tmp, never in the repo.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/importers/kubernetes/testdata}
work=$(mktemp -d /tmp/k8s-fixtures.XXXXXX)
bin=${BIN:-$work/bin}
base=${PORT_BASE:-23790}
etcd_client=http://127.0.0.1:$base
etcd_peer=http://127.0.0.1:$((base + 1))
api_port=$((base + 2))
pids=()

cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	if [ "${KEEP:-}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

log() { echo "--- $*" >&2; }

if [ ! -x "$bin/kube-apiserver" ]; then
	log "building etcd and the control plane into $bin (several minutes)"
	v=k8s.io/component-base/version
	(cd "$here" && go build -ldflags "-X $v.gitVersion=v1.32.4 -X $v.gitMajor=1 -X $v.gitMinor=32 -X $v.gitTreeState=clean" -o "$bin/" ./cmd/...)
fi

log "keys, token and kubeconfig"
openssl genrsa -out "$work/sa.key" 2048 2>/dev/null
openssl rsa -in "$work/sa.key" -pubout -out "$work/sa.pub" 2>/dev/null
token=$(openssl rand -hex 16)
echo "$token,admin,admin,system:masters" >"$work/tokens.csv"
export KUBECONFIG=$work/kubeconfig
kubectl config set-cluster lab --server="https://127.0.0.1:$api_port" --insecure-skip-tls-verify=true >/dev/null
kubectl config set-credentials admin --token="$token" >/dev/null
kubectl config set-context lab --cluster=lab --user=admin >/dev/null
kubectl config use-context lab >/dev/null

log "etcd on $etcd_client"
"$bin/etcd" -data-dir "$work/etcd" -listen-client "$etcd_client" -listen-peer "$etcd_peer" >"$work/etcd.log" 2>&1 &
pids+=($!)

log "kube-apiserver on 127.0.0.1:$api_port"
"$bin/kube-apiserver" \
	--etcd-servers="$etcd_client" \
	--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
	--endpoint-reconciler-type=none \
	--cert-dir="$work/certs" \
	--token-auth-file="$work/tokens.csv" \
	--authorization-mode=RBAC \
	--service-account-issuer=https://kubernetes.default.svc.cluster.local \
	--service-account-key-file="$work/sa.pub" \
	--service-account-signing-key-file="$work/sa.key" \
	--service-cluster-ip-range=10.96.0.0/16 \
	>"$work/apiserver.log" 2>&1 &
pids+=($!)

for i in $(seq 1 120); do
	if kubectl get --raw /readyz >/dev/null 2>&1; then break; fi
	if [ "$i" = 120 ]; then tail -30 "$work/apiserver.log" >&2; exit 1; fi
	sleep 1
done

log "kube-controller-manager and kube-scheduler (no listening ports)"
# The node lifecycle controller is off: without kubelets it would mark the
# nodes NotReady, taint them and evict every pod.
"$bin/kube-controller-manager" \
	--kubeconfig="$KUBECONFIG" --leader-elect=false --secure-port=0 \
	--controllers='*,-nodelifecycle' \
	--service-account-private-key-file="$work/sa.key" \
	--cluster-name=lab \
	>"$work/controller-manager.log" 2>&1 &
pids+=($!)
"$bin/kube-scheduler" --kubeconfig="$KUBECONFIG" --leader-elect=false --secure-port=0 \
	>"$work/scheduler.log" 2>&1 &
pids+=($!)

# wait_for runs a command until it succeeds, for at most $1 seconds.
wait_for() {
	local limit=$1
	shift
	for _ in $(seq 1 "$limit"); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 1
	done
	echo "timed out waiting for: $*" >&2
	return 1
}

log "applying manifests"
# Namespaces need the service account controller's default account before
# pods can be created in them.
kubectl apply -f "$here/manifests/00-nodes.yaml" -f "$here/manifests/01-namespaces.yaml"
# What the kubelet reports and the node lifecycle controller reacts to: the
# Ready condition, then the not-ready taint that admission put on new nodes
# lifted.
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for node in node-1 node-2 node-3; do
	conds=""
	for c in MemoryPressure:False:KubeletHasSufficientMemory DiskPressure:False:KubeletHasNoDiskPressure \
		PIDPressure:False:KubeletHasSufficientPID Ready:True:KubeletReady; do
		IFS=: read -r type status reason <<<"$c"
		conds+="${conds:+,}{\"type\":\"$type\",\"status\":\"$status\",\"reason\":\"$reason\",\"lastHeartbeatTime\":\"$now\",\"lastTransitionTime\":\"$now\"}"
	done
	kubectl patch node "$node" --subresource=status --type=merge -p "{\"status\":{\"conditions\":[$conds]}}" >/dev/null
	kubectl taint node "$node" node.kubernetes.io/not-ready- >/dev/null 2>&1 || true
done
for ns in shop data monitoring; do wait_for 60 kubectl -n "$ns" get serviceaccount default; done
kubectl apply -f "$here/manifests/"

# node_ip prints a node's InternalIP.
node_ip() { kubectl get node "$1" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}' | cut -d' ' -f1; }

# run_pods plays the kubelet for every scheduled pod not yet running: it
# writes phase, IPs, conditions and container statuses through the status
# subresource, and finishes deleting pods a kubelet would have stopped.
pod_seq=0
run_pods() {
	local ns name node deleting
	while read -r ns name node deleting; do
		[ -n "$name" ] || continue
		if [ "$deleting" != "-" ]; then
			kubectl -n "$ns" delete pod "$name" --grace-period=0 --force >/dev/null 2>&1 || true
			continue
		fi
		pod_seq=$((pod_seq + 1))
		local n=${node#node-}
		local ip="10.244.$n.$((pod_seq + 10))"
		local now
		now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
		local statuses="" c img sep=""
		while read -r c img; do
			[ -n "$c" ] || continue
			statuses+="$sep{\"name\":\"$c\",\"image\":\"$img\",\"imageID\":\"\",\"ready\":true,\"started\":true,\"restartCount\":0,\"state\":{\"running\":{\"startedAt\":\"$now\"}}}"
			sep=","
		done < <(kubectl -n "$ns" get pod "$name" -o jsonpath='{range .spec.containers[*]}{.name} {.image}{"\n"}{end}')
		kubectl -n "$ns" patch pod "$name" --subresource=status --type=merge -p "{\"status\":{
			\"phase\":\"Running\",\"hostIP\":\"$(node_ip "$node")\",\"podIP\":\"$ip\",\"podIPs\":[{\"ip\":\"$ip\"}],\"startTime\":\"$now\",
			\"conditions\":[{\"type\":\"Initialized\",\"status\":\"True\",\"lastTransitionTime\":\"$now\"},
			{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"$now\"},
			{\"type\":\"ContainersReady\",\"status\":\"True\",\"lastTransitionTime\":\"$now\"},
			{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastTransitionTime\":\"$now\"}],
			\"containerStatuses\":[$statuses]}}" >/dev/null
	done < <(kubectl get pods -A -o jsonpath='{range .items[?(@.spec.nodeName)]}{.metadata.namespace} {.metadata.name} {.spec.nodeName} {.metadata.deletionTimestamp}{"\n"}{end}' |
		awk '{ if (NF == 3) $4 = "-"; print }' |
		while read -r ns name node deleting; do
			phase=$(kubectl -n "$ns" get pod "$name" -o jsonpath='{.status.phase}' 2>/dev/null || true)
			if [ "$deleting" != "-" ] || [ "$phase" != "Running" ]; then echo "$ns $name $node $deleting"; fi
		done)
}

# settle runs pods until every workload has what it wants and nothing is
# pending or terminating.
settle() {
	for _ in $(seq 1 90); do
		run_pods
		local pending
		pending=$(kubectl get pods -A --no-headers 2>/dev/null | awk '$4 != "Running"' | wc -l)
		if [ "$pending" = 0 ] &&
			kubectl -n shop rollout status deploy --timeout=1s >/dev/null 2>&1 &&
			kubectl -n data rollout status statefulset/postgres --timeout=1s >/dev/null 2>&1 &&
			kubectl -n monitoring rollout status daemonset/node-exporter --timeout=1s >/dev/null 2>&1; then
			return 0
		fi
		sleep 2
	done
	kubectl get pods -A -o wide >&2
	echo "the cluster did not settle" >&2
	return 1
}

log "waiting for controllers and scheduler"
settle
wait_for 60 sh -c '[ "$(kubectl -n shop get pvc uploads -o jsonpath={.status.phase})" = Bound ]'
wait_for 60 sh -c '[ "$(kubectl -n data get pvc pgdata-postgres-1 -o jsonpath={.status.phase})" = Bound ]'

log "rolling out a new web image (leaves an old ReplicaSet at 0 replicas)"
kubectl -n shop set image deployment/web nginx=nginx:1.27.4
settle

# A cordoned node (spec.unschedulable), as before maintenance.
kubectl cordon node-1

kinds=nodes,namespaces,deployments,statefulsets,daemonsets,replicasets,pods,services,ingresses,pvc,pv
log "dumping to $out"
mkdir -p "$out/kinds"
kubectl get "$kinds" -A -o json >"$out/cluster.json"
for k in ${kinds//,/ }; do
	kubectl get "$k" -A -o json >"$out/kinds/$k.json"
done
# Kinds the importer skips, Secrets among them (with a last-applied copy of
# their data in an annotation, as kubectl apply leaves it).
kubectl -n shop get configmaps,secrets,endpoints,serviceaccounts -o json >"$out/skipped.json"
# One object, not a List.
kubectl -n monitoring get pod debug-shell -o json >"$out/single-pod.json"
# A typed list straight from the API, whose items carry no kind.
kubectl get --raw /api/v1/namespaces/shop/pods >"$out/podlist-raw.json"
# What users actually run: no ReplicaSets, Namespaces or claims in the
# first, no Nodes or Namespaces in the second.
mkdir -p "$out/commands"
kubectl get pods,deployments,services,nodes -A -o json >"$out/commands/pods-deployments-services-nodes.json"
kubectl get all -A -o json >"$out/commands/all.json"

log "deleting a web pod, deployment shop/cart and node node-3, dumping again"
# One pod of web goes; its ReplicaSet makes a new one (another name).
gone=$(kubectl -n shop get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
kubectl -n shop delete pod "$gone" --grace-period=0 --force
kubectl -n shop delete deployment cart --wait=true
kubectl delete node node-3
# Without a kubelet the pods of node-3 would stay forever; remove them as
# the pod garbage collector eventually does.
kubectl delete pods -A --field-selector spec.nodeName=node-3 --grace-period=0 --force 2>/dev/null || true
settle
kubectl get "$kinds" -A -o json >"$out/cluster-after.json"
kubectl get pods,deployments,services,nodes -A -o json >"$out/commands/pods-deployments-services-nodes-after.json"
kubectl get all -A -o json >"$out/commands/all-after.json"
echo "deleted pod shop/$gone" >&2

log "done"
ls -l "$out" "$out/kinds" "$out/commands" >&2
