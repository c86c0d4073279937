package server

import (
	"net"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"gochat/wire"
)

// metrics is the server's Prometheus registry and the collectors the
// adapter feeds.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(s *Server) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gochat_http_requests_total", Help: "HTTP requests answered, by route, method and status (499: the client left first).",
	}, []string{"route", "method", "status"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gochat_http_request_duration_seconds", Help: "Time to answer HTTP requests, long-polls included, by route and method.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"route", "method"})
	st := s.stats
	counter := func(name, help string, v func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v()) })
	}
	gauge := func(name, help string, v func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, v)
	}
	m.reg.MustRegister(
		// go_goroutines, and go_sched_goroutines_created_goroutines_total:
		// a parked read's next request must start none (issue 13).
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/sched/goroutines-created:goroutines$`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration,
		gauge("gochat_parked_readers", "Long-poll reads waiting for a message.", func() float64 { return float64(st.Parked.Load()) }),
		counter("gochat_messages_posted_total", "Messages stored by this instance.", st.Posted.Load),
		counter("gochat_longpoll_wakeups_total", "Parked reads answered because a message arrived.", st.Wakeups.Load),
		counter("gochat_store_errors_total", "Store calls that failed.", st.StoreErrors.Load),
		counter("gochat_webhook_posted_total", "Messages a Webhook delivered.", st.WebhookPosted.Load),
		counter("gochat_webhook_dropped_total", "Messages a Webhook dropped: its queue was full or every attempt failed.", st.WebhookDropped.Load),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gochat_graph_reloads_total", Help: "Graph reloads, by result.",
			ConstLabels: prometheus.Labels{"result": "ok"}}, func() float64 { return float64(st.Reloads.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "gochat_graph_reloads_total", Help: "Graph reloads, by result.",
			ConstLabels: prometheus.Labels{"result": "failed"}}, func() float64 { return float64(st.ReloadFailures.Load()) }),
		packetCollector{s},
	)
	b := s.cfg.Build
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "gochat_build_info", Help: "The build running: module version, commit (-dirty when modified) and Go version; always 1.",
		ConstLabels: prometheus.Labels{"version": b.Version, "revision": b.Revision, "goversion": b.GoVersion}}, func() float64 { return 1 }))
	m.reg.MustRegister(counter("gochat_slow_clients_dropped_total", "Clients dropped for not taking an answer in time.", s.slowDropped.Load))
	if p := s.parker; p != nil {
		m.reg.MustRegister(gauge("gochat_held_connections", "Connections of parked reads held without a goroutine.", func() float64 { return float64(p.Held()) }))
	}
	if mem, ok := s.store.(heldCounts); ok {
		m.reg.MustRegister(
			gauge("gochat_rooms", "Rooms held by the memory or file store.", func() float64 { return float64(mem.Rooms()) }),
			gauge("gochat_messages_stored", "Messages held by the memory or file store.", func() float64 { return float64(mem.Messages()) }),
		)
	}
	return m
}

// heldCounts is a store that counts what it holds: Memory and File.
type heldCounts interface {
	Rooms() int    // rooms held
	Messages() int // messages held
}

// observe records one answered request.
func (m *metrics) observe(route, method string, status int, d time.Duration) {
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodOptions, http.MethodHead:
	default:
		method = "other" // bounded label values
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

// handler serves the registry; onlyLoopback refuses other peers.
func (m *metrics) handler(onlyLoopback bool) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if onlyLoopback && !loopbackPeer(r) {
			wire.WriteAnswer(w, wire.ErrorAnswer(wire.Errorf(http.StatusForbidden,
				"metrics are served to loopback only; use -metrics-addr for a listener of their own")))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func loopbackPeer(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	ip := net.ParseIP(host)
	return err == nil && ip != nil && ip.IsLoopback()
}

// packetCollector reports the running network's packet counts, when the
// network counts them (-debug).
type packetCollector struct{ s *Server }

var (
	connDesc = prometheus.NewDesc("gochat_graph_connection_packets_total",
		"Packets that crossed each connection of the running graph (counted with -debug).", []string{"src", "tgt"}, nil)
	procDesc = prometheus.NewDesc("gochat_graph_process_packets_total",
		"Packets that entered each process of the running graph (counted with -debug).", []string{"process", "component"}, nil)
)

// Describe implements prometheus.Collector.
func (c packetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- connDesc
	ch <- procDesc
}

// Collect implements prometheus.Collector.
func (c packetCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.s.nets.Current()
	if n == nil || n.Counts == nil {
		return
	}
	perProc := map[string]float64{}
	for i, conn := range n.Graph.Connections {
		v := float64(n.Counts[i].Load())
		ch <- prometheus.MustNewConstMetric(connDesc, prometheus.CounterValue, v, portName(conn.Src), portName(conn.Tgt))
		perProc[conn.Tgt.Process] += v
	}
	for _, p := range n.Graph.Processes {
		ch <- prometheus.MustNewConstMetric(procDesc, prometheus.CounterValue, perProc[p.Name], p.Name, p.Component)
	}
}

// openMetrics serves /metrics on a listener of its own at
// Config.MetricsAddr, to whoever reaches it.
func (s *Server) openMetrics() (*side, error) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", s.metrics.handler(false))
	return s.listenSide(s.cfg.MetricsAddr, mux, func(p string) string {
		if p == "/metrics" {
			return p
		}
		return wire.Unmatched
	})
}
