package playground_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/model"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/sluicehq/sluice/playground"
	"github.com/sluicehq/sluice/playground/playgroundtest"
)

func TestMain(m *testing.M) { playgroundtest.Main(m) }

func TestDeploymentBecomesAvailableThenRollsOutANewImage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := playgroundtest.Client()
	ns := playgroundtest.Namespace(t)

	deploy := detailDeployment(ns)
	if err := c.Create(ctx, deploy); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(ctx, t, c, deploy)

	// A patch, not an update: the deployment controller may still be
	// writing the object's status.
	before := deploy.DeepCopy()
	deploy.Spec.Template.Spec.Containers[0].Image = "public.ecr.aws/u2g6w7p2/eks-workshop-demo/detail:2.0"
	if err := c.Patch(ctx, deploy, client.MergeFrom(before)); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(ctx, t, c, deploy)

	var pods corev1.PodList
	if err := c.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{"app": "detail"}); err != nil {
		t.Fatal(err)
	}
	ready := 0
	for _, pod := range pods.Items {
		if pod.DeletionTimestamp != nil {
			continue
		}
		if got := pod.Spec.Containers[0].Image; got != deploy.Spec.Template.Spec.Containers[0].Image {
			t.Errorf("pod %s runs %s after the rollout, want the new image", pod.Name, got)
		}
		if podReady(&pod) {
			ready++
		}
	}
	if ready != 2 {
		t.Errorf("%d ready pods of the new image, want 2", ready)
	}
}

// detailDeployment is the seed's detail app at version 1.0 with 2 replicas.
func detailDeployment(ns string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "detail", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "detail"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "detail"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "detail", Image: "public.ecr.aws/u2g6w7p2/eks-workshop-demo/detail:1.0",
				}}},
			},
		},
	}
}

// waitRolledOut waits until the Deployment's controller has seen its latest
// spec and every replica is updated and available.
func waitRolledOut(ctx context.Context, t testing.TB, c client.Client, deploy *appsv1.Deployment) {
	t.Helper()
	var got appsv1.Deployment
	for {
		if err := c.Get(ctx, client.ObjectKeyFromObject(deploy), &got); err != nil {
			t.Fatal(err)
		}
		st := got.Status
		if st.ObservedGeneration >= got.Generation && st.UpdatedReplicas == 2 && st.AvailableReplicas == 2 && st.Replicas == 2 {
			for _, cond := range st.Conditions {
				if cond.Type == appsv1.DeploymentAvailable && cond.Status == corev1.ConditionTrue {
					*deploy = got
					return
				}
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("deployment %s/%s did not roll out: %+v", deploy.Namespace, deploy.Name, st)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func podReady(pod *corev1.Pod) bool {
	for _, cond := range pod.Status.Conditions {
		if cond.Type == corev1.PodReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

func TestPrometheusScrapesALocalTargetAndAnswersPromQL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	registry := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "playground_test_requests_total"}, []string{"code"})
	registry.MustRegister(requests)
	requests.WithLabelValues("200").Add(40)
	requests.WithLabelValues("500").Add(2)
	target := httptest.NewServer(promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	defer target.Close()

	prom := playgroundtest.Playground().Prometheus
	err := prom.AddScrapeTargets(ctx, playground.ScrapeTarget{Job: t.Name(), Targets: []string{target.Listener.Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	promClient, err := api.NewClient(api.Config{Address: prom.URL})
	if err != nil {
		t.Fatal(err)
	}
	query := `sum(playground_test_requests_total{job="` + t.Name() + `"})`
	for {
		value, _, _, err := promv1.NewAPI(promClient).Query(ctx, query, time.Now())
		if err != nil {
			t.Fatalf("query %s: %v", query, err)
		}
		if vector, ok := value.(model.Vector); ok && len(vector) == 1 {
			if got := float64(vector[0].Value); got != 42 {
				t.Fatalf("query %s = %v, want 42", query, got)
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("query %s returned no sample before the deadline: last result %v", query, value)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func TestStopLeavesNoProcessOrDirectoryBehind(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg, err := playground.Start(ctx, playground.Options{Toolchain: playgroundtest.Playground().Tools})
	if err != nil {
		t.Fatal(err)
	}
	pids := pg.Pids()
	if len(pids) != 6 {
		t.Errorf("playground runs %d processes, want 6 (etcd, apiserver, controller-manager, scheduler, kwok, prometheus)", len(pids))
	}
	apiAddr := pg.ControlPlane.Config.Host[len("https://"):]
	pg.Stop()

	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d still exists after Stop (kill 0: %v)", pid, err)
		}
	}
	if _, err := os.Stat(pg.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("playground directory %s still exists after Stop (stat: %v)", pg.Dir, err)
	}
	if conn, err := net.DialTimeout("tcp", apiAddr, time.Second); err == nil {
		conn.Close()
		t.Errorf("API server address %s still accepts connections after Stop", apiAddr)
	}
	if _, err := http.Get(pg.Prometheus.URL + "/-/ready"); err == nil {
		t.Errorf("Prometheus %s still answers after Stop", pg.Prometheus.URL)
	}
}

// BenchmarkStartToAvailableDeployment measures, with the binaries already
// built, the time from Start to a 2-replica Deployment being Available. The
// target is under 15 s on 2 cores.
func BenchmarkStartToAvailableDeployment(b *testing.B) {
	tools := playgroundtest.Playground().Tools
	for b.Loop() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		pg, err := playground.Start(ctx, playground.Options{Toolchain: tools})
		if err != nil {
			b.Fatal(err)
		}
		c, err := client.New(pg.ControlPlane.Config, client.Options{})
		if err != nil {
			b.Fatal(err)
		}
		deploy := detailDeployment("default")
		if err := c.Create(ctx, deploy); err != nil {
			b.Fatal(err)
		}
		waitRolledOut(ctx, b, c, deploy)
		b.StopTimer()
		pg.Stop()
		cancel()
		b.StartTimer()
	}
}
