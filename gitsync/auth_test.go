package gitsync

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSecretRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	t.Setenv("SLUICE_TEST_SECRET", "  from-env\n")
	t.Setenv("SLUICE_TEST_BLANK", " \n")
	cases := []struct {
		name    string
		secret  Secret
		want    string
		wantErr string
	}{
		{name: "a file's content is read with its newline trimmed", secret: Secret{File: write("token", "from-file\n")}, want: "from-file"},
		{name: "a variable's value is read with white space trimmed", secret: Secret{Env: "SLUICE_TEST_SECRET"}, want: "from-env"},
		{name: "a missing file is an error that names it", secret: Secret{File: filepath.Join(dir, "missing")},
			wantErr: "Auth.Password: open " + filepath.Join(dir, "missing") + ": no such file or directory"},
		{name: "an empty file is an error", secret: Secret{File: write("empty", "\n")},
			wantErr: "Auth.Password: file " + filepath.Join(dir, "empty") + " is empty"},
		{name: "a blank variable is an error", secret: Secret{Env: "SLUICE_TEST_BLANK"},
			wantErr: "Auth.Password: environment variable SLUICE_TEST_BLANK is empty or unset"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.secret.read("Auth.Password")
			if tt.wantErr != "" {
				var credsErr *credentialsError
				if err == nil || err.Error() != tt.wantErr || !errors.As(err, &credsErr) {
					t.Fatalf("read() error = %v, want a credentials error %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("read() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
