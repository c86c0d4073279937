package components

import (
	"context"
	"time"

	"gochat/store"
)

// storeTimeout bounds one call to the store.
const storeTimeout = 5 * time.Second

// jobKind says what Storage does with a store call's result.
type jobKind int

const (
	jobRead   jobKind = iota // a read that may park
	jobAnswer                // a read answered whatever it finds
	jobReset                 // a read from the start, answered with reset
	jobWrite                 // an append
	jobCheck                 // parked readers against the store
	jobFlush                 // parked readers answered at shutdown
)

// job is one store call and its result.
type job struct {
	kind  jobKind       // what the result is for
	room  string        // the room called
	q     *ReadQuery    // the read it answers, if any
	c     *WriteCommand // the write it appends (jobWrite)
	since uint64        // what the read asks from
	news  uint64        // the room's news count when the call started
	page  store.Page    // the read's result
	msg   store.Message // the append's result
	err   error         // the call's failure
	// timeout bounds the call; 0 is storeTimeout.
	timeout time.Duration
}

// runner makes store calls for Storage: inline, or each on its own
// goroutine, at most concurrency at once, reporting back through its
// results inbox. Its running count is owned by Storage's goroutine; the
// goroutines it starts touch only their own job.
type runner struct {
	store       store.Store
	concurrency int          // most calls on goroutines at once; 0 runs them inline
	running     int          // calls on goroutines not yet drained
	results     *inbox[*job] // finished calls on goroutines
}

// newRunner returns a runner of calls to st; see runner.concurrency.
func newRunner(st store.Store, concurrency int) *runner {
	return &runner{store: st, concurrency: concurrency, results: newInbox[*job]()}
}

// run makes j's store call. Inline, it then hands j to finish at once;
// on a goroutine, j arrives on ready/drain when the call ends.
func (r *runner) run(j *job, finish func(*job)) {
	if r.concurrency == 0 {
		// An inline store never waits on anything: nothing to bound.
		r.call(context.Background(), j)
		finish(j)
		return
	}
	r.running++
	go func() {
		r.exec(j)
		r.results.push(j)
	}()
}

// full reports whether as many calls run as may: take no new work then.
func (r *runner) full() bool {
	return r.concurrency > 0 && r.running >= r.concurrency
}

// idle reports whether no call runs on a goroutine.
func (r *runner) idle() bool { return r.running == 0 }

// ready is signalled when calls on goroutines have finished; drain then.
func (r *runner) ready() <-chan struct{} { return r.results.ready() }

// drain takes the finished calls; they no longer count as running.
func (r *runner) drain() []*job {
	jobs := r.results.drain()
	r.running -= len(jobs)
	return jobs
}

// exec makes the store call of j, bounded by its timeout. The store
// finishes a call even if its client leaves. It touches only j.
func (r *runner) exec(j *job) {
	var parent context.Context = context.Background()
	if j.q != nil {
		parent = j.q.Req.Ctx
	} else if j.c != nil {
		parent = j.c.Req.Ctx
	}
	timeout := j.timeout
	if timeout == 0 {
		timeout = storeTimeout
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), timeout)
	defer cancel()
	r.call(ctx, j)
}

// call makes the store call of j with ctx. It touches only j.
func (r *runner) call(ctx context.Context, j *job) {
	if j.kind == jobWrite {
		j.msg, j.err = r.store.Append(ctx, j.room, store.Draft{Author: j.c.Author, Text: j.c.Text, Time: time.Now(), Key: j.c.Key})
		return
	}
	j.page, j.err = r.store.Read(ctx, j.room, j.since)
}
