package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AlertProvider is a chat service that Canaries send their events to (see
// CanaryAlert). Its fields follow Flagger's AlertProvider.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=sluice
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
type AlertProvider struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec AlertProviderSpec `json:"spec"`
}

// AlertProviderList is a list of AlertProviders.
//
// +kubebuilder:object:root=true
type AlertProviderList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AlertProvider `json:"items"`
}

// AlertProviderSpec is where and how alerts are sent.
type AlertProviderSpec struct {
	// Type is the service: slack, msteams, discord, rocket, gchat, or
	// generic (a JSON body of sluice's own).
	// +kubebuilder:validation:Enum=slack;msteams;discord;rocket;gchat;generic
	Type string `json:"type"`
	// Channel overrides the webhook's channel (slack, rocket). Empty means
	// "general", as Flagger sends.
	// +optional
	Channel string `json:"channel,omitempty"`
	// Username is the sender's name shown (slack, rocket, discord). Empty
	// means "sluice".
	// +optional
	Username string `json:"username,omitempty"`
	// Address is the incoming-webhook URL. A webhook URL carries its
	// token: keep it in the Secret of SecretRef (key address) instead.
	// +optional
	Address string `json:"address,omitempty"`
	// Proxy is the URL of an HTTP proxy to send through.
	// +optional
	Proxy string `json:"proxy,omitempty"`
	// SecretRef names a Secret in the AlertProvider's namespace whose key
	// address overrides Address and key proxy overrides Proxy.
	// +optional
	SecretRef *corev1.LocalObjectReference `json:"secretRef,omitempty"`
}
