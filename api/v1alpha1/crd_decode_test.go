package v1alpha1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCRD(t *testing.T) {
	crd, err := CRD()
	if err != nil {
		t.Fatalf("CRD() = %v", err)
	}
	if got, want := crd.Name, "canaries.sluice.dev"; got != want {
		t.Errorf("name = %q, want %q", got, want)
	}
	if got, want := crd.Spec.Names.Kind, "Canary"; got != want {
		t.Errorf("kind = %q, want %q", got, want)
	}
	if len(crd.Spec.Versions) != 1 {
		t.Fatalf("versions = %d, want 1", len(crd.Spec.Versions))
	}
	version := crd.Spec.Versions[0]
	if version.Name != GroupVersion.Version || !version.Served || !version.Storage {
		t.Errorf("version %q served=%t storage=%t, want %q served and stored", version.Name, version.Served, version.Storage, GroupVersion.Version)
	}
	if version.Subresources == nil || version.Subresources.Status == nil {
		t.Error("the status subresource is missing")
	}
	var columns []printerColumn
	for _, column := range version.AdditionalPrinterColumns {
		columns = append(columns, printerColumn{Name: column.Name, Type: column.Type, JSONPath: column.JSONPath})
	}
	if diff := cmp.Diff(wantPrinterColumns, columns); diff != "" {
		t.Errorf("printer columns (-want +got):\n%s", diff)
	}
}

func TestCRDReturnsACopy(t *testing.T) {
	first, err := CRD()
	if err != nil {
		t.Fatal(err)
	}
	first.Name = "changed"
	first.Spec.Versions[0].AdditionalPrinterColumns = nil
	second, err := CRD()
	if err != nil {
		t.Fatal(err)
	}
	if second.Name != "canaries.sluice.dev" || len(second.Spec.Versions[0].AdditionalPrinterColumns) == 0 {
		t.Error("changing the result of CRD() changed the next result")
	}
}
