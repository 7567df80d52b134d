package loadgen_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sluicehq/sluice/playground/loadgen"
)

func TestTransportToSendsEveryHostToOneAddressKeepingTheHostHeader(t *testing.T) {
	handler := &counting{}
	server := httptest.NewServer(handler)
	defer server.Close()
	client := &http.Client{Transport: loadgen.TransportTo(strings.TrimPrefix(server.URL, "http://"))}
	for _, url := range []string{
		"http://detail-canary.flagger:3000/catalogDetail",
		"http://detail.example.com/catalogDetail",
	} {
		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	want := map[string]int{"detail-canary.flagger:3000": 1, "detail.example.com": 1}
	if diff := cmp.Diff(want, handler.hosts); diff != "" {
		t.Errorf("requests by host (-want +got):\n%s", diff)
	}
}
