// A small clientv3 program for tests/integration/grpc_clients.sh, built
// offline in GOPATH mode from Debian's golang-etcd-server-dev (never
// downloaded). Usage: gcli ENDPOINT[,ENDPOINT...]. Prints "ok - ..." /
// "not ok - ..." lines; exits 1 when one failed.
package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/ioutil"
	"os"
	"strings"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes"
)

var fails = 0

func ok(name string, cond bool, detail ...interface{}) {
	if cond {
		fmt.Printf("ok - %s\n", name)
	} else {
		fails++
		fmt.Printf("not ok - %s %v\n", name, detail)
	}
}

func main() {
	eps := strings.Split(os.Args[1], ",")
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second})
	if err != nil {
		fmt.Println("not ok - clientv3.New:", err)
		os.Exit(1)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	p := "/gcgo/"

	_, err = cli.Put(ctx, p+"a", "1")
	ok("put", err == nil, err)
	_, err = cli.Put(ctx, p+"b", "2")
	ok("put 2", err == nil, err)
	gr, err := cli.Get(ctx, p, clientv3.WithPrefix())
	ok("get prefix", err == nil && len(gr.Kvs) == 2 && string(gr.Kvs[1].Value) == "2", err)

	tr, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.Value(p+"a"), "=", "1")).
		Then(clientv3.OpPut(p+"a", "x"), clientv3.OpGet(p+"a")).Else(clientv3.OpPut(p+"f", "y")).Commit()
	ok("txn succeeded", err == nil && tr.Succeeded && len(tr.Responses) == 2 &&
		len(tr.Responses[1].GetResponseRange().Kvs) == 1 &&
		string(tr.Responses[1].GetResponseRange().Kvs[0].Value) == "x", err)

	// watch 1000 events written after it started
	if gr == nil {
		fmt.Println("not ok - no answer to get: the rest depends on it")
		os.Exit(1)
	}
	start := gr.Header.Revision + 2
	wctx, wcancel := context.WithCancel(ctx)
	wch := cli.Watch(clientv3.WithRequireLeader(wctx), p+"w/", clientv3.WithPrefix(), clientv3.WithRev(start))
	var last int64
	for i := 0; i < 1000; i++ {
		r, err := cli.Put(ctx, fmt.Sprintf("%sw/%04d", p, i), "v")
		if err != nil {
			ok("watch writes", false, err)
			break
		}
		last = r.Header.Revision
	}
	n, inorder, lastSeen := 0, true, int64(0)
	for n < 1000 {
		wr, more := <-wch
		if !more || wr.Err() != nil {
			ok("watch stream stays open", false, wr.Err())
			break
		}
		for _, ev := range wr.Events {
			if ev.Kv.ModRevision != start+int64(n) {
				inorder = false
			}
			lastSeen = ev.Kv.ModRevision
			n++
		}
	}
	wcancel()
	ok("watch: 1000 events", n == 1000, n)
	ok("watch: in revision order", inorder)
	ok("watch: last revision", lastSeen == last, lastSeen, last)

	// compacted revision: the client maps etcd's error text to its typed error
	_, err = cli.Compact(ctx, start)
	ok("compact", err == nil, err)
	_, err = cli.Get(ctx, p+"a", clientv3.WithRev(start-1))
	ok("get compacted is rpctypes.ErrCompacted", err == rpctypes.ErrCompacted, err)

	lg, err := cli.Grant(ctx, 5)
	ok("lease grant", err == nil, err)
	if err == nil {
		_, err = cli.Put(ctx, p+"l", "v", clientv3.WithLease(lg.ID))
		ok("put with lease", err == nil, err)
		ka, err := cli.KeepAliveOnce(ctx, lg.ID)
		ok("keep-alive once", err == nil && ka.TTL == 5, err)
		kch, err := cli.KeepAlive(ctx, lg.ID)
		ok("keep-alive stream", err == nil, err)
		if err == nil {
			select {
			case r := <-kch:
				ok("keep-alive stream answers", r != nil && r.TTL == 5, r)
			case <-time.After(10 * time.Second):
				ok("keep-alive stream answers", false, "timeout")
			}
		}
		_, err = cli.Revoke(ctx, lg.ID)
		ok("revoke", err == nil, err)
		g, _ := cli.Get(ctx, p+"l")
		ok("revoked lease's key gone", g != nil && len(g.Kvs) == 0)
		_, err = cli.Revoke(ctx, lg.ID)
		ok("revoke again is rpctypes.ErrLeaseNotFound", err == rpctypes.ErrLeaseNotFound, err)
	}

	ml, err := cli.MemberList(ctx)
	ok("member list: 3", err == nil && len(ml.Members) == 3, err)

	rc, err := cli.Snapshot(ctx)
	ok("snapshot", err == nil, err)
	if err == nil {
		b, err := ioutil.ReadAll(rc)
		ok("snapshot read", err == nil && len(b) > 32, err, len(b))
		if len(b) > 32 {
			sum := sha256.Sum256(b[:len(b)-32])
			ok("snapshot sha256 trailer", len(b)%512 == 32 && string(sum[:]) == string(b[len(b)-32:]), len(b))
		}
	}
	_, err = cli.Delete(ctx, p, clientv3.WithPrefix())
	ok("delete prefix", err == nil, err)
	if fails > 0 {
		os.Exit(1)
	}
}
