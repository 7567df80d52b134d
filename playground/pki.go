package playground

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki holds the certificates and keys of one control plane, both in memory
// (for the kubeconfig) and as PEM files in its directory (for the flags).
type pki struct {
	caCertPEM, adminCertPEM, adminKeyPEM []byte

	caCertFile, servingCertFile, servingKeyFile  string
	serviceAccountKeyFile, serviceAccountPubFile string
}

// adminGroup makes the playground's admin a cluster administrator through the
// built-in RBAC binding of system:masters.
const adminGroup = "system:masters"

// newPKI makes a certificate authority, the API server's serving certificate
// for the loopback address, an admin client certificate and the service
// account signing key, and writes them under dir/pki.
func newPKI(dir string) (*pki, error) {
	dir = filepath.Join(dir, "pki")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	caCert, caKey, caDER, err := newCA()
	if err != nil {
		return nil, err
	}

	serving := certTemplate("kube-apiserver")
	serving.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	serving.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback, net.IPv4(10, 0, 0, 1)}
	serving.DNSNames = []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"}
	servingCert, servingKey, err := signedPair(serving, caCert, caKey)
	if err != nil {
		return nil, err
	}

	admin := certTemplate("sluice-admin")
	admin.Subject.Organization = []string{adminGroup}
	admin.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	adminCert, adminKey, err := signedPair(admin, caCert, caKey)
	if err != nil {
		return nil, err
	}

	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	saKeyPEM, err := keyPEM(saKey)
	if err != nil {
		return nil, err
	}
	saPubDER, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return nil, err
	}

	p := &pki{
		caCertPEM:             pemBlock("CERTIFICATE", caDER),
		adminCertPEM:          adminCert,
		adminKeyPEM:           adminKey,
		caCertFile:            filepath.Join(dir, "ca.crt"),
		servingCertFile:       filepath.Join(dir, "apiserver.crt"),
		servingKeyFile:        filepath.Join(dir, "apiserver.key"),
		serviceAccountKeyFile: filepath.Join(dir, "sa.key"),
		serviceAccountPubFile: filepath.Join(dir, "sa.pub"),
	}
	files := map[string][]byte{
		p.caCertFile:            p.caCertPEM,
		p.servingCertFile:       servingCert,
		p.servingKeyFile:        servingKey,
		p.serviceAccountKeyFile: saKeyPEM,
		p.serviceAccountPubFile: pemBlock("PUBLIC KEY", saPubDER),
	}
	for path, data := range files {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// newCA makes the self-signed certificate authority of a control plane.
func newCA() (*x509.Certificate, *ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	template := certTemplate("sluice-playground-ca")
	template.IsCA = true
	template.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	template.BasicConstraintsValid = true
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		return nil, nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, der, err
}

// certTemplate returns a certificate template valid for a year from an hour
// ago, so that clock skew between components does not matter.
func certTemplate(commonName string) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
}

// signedPair makes a key and a certificate for template signed by the CA and
// returns both PEM encoded.
func signedPair(template, ca *x509.Certificate, caKey crypto.Signer) (certPEM, keyPEMBytes []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca, key.Public(), caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("sign %s: %w", template.Subject.CommonName, err)
	}
	keyPEMBytes, err = keyPEM(key)
	if err != nil {
		return nil, nil, err
	}
	return pemBlock("CERTIFICATE", der), keyPEMBytes, nil
}

func keyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pemBlock("EC PRIVATE KEY", der), nil
}

func pemBlock(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}
