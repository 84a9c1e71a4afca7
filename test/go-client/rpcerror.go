package main

import (
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
)

// rpcError is an error as the test asserts on it: the gRPC status the sidecar sent (code and
// its own message; the SDK wraps errors in text of its own, kept apart in Error) and the
// google.rpc.ErrorInfo detail when there is one.
type rpcError struct {
	// "Unauthenticated", "Aborted", …; empty when the error is not a gRPC status
	Code string `json:"code"`
	// the numeric code (16 for Unauthenticated)
	Number uint32 `json:"number"`
	// the status message as the sidecar sent it
	Message string `json:"message"`
	// err.Error() as the SDK returns it
	Error string `json:"error"`
	// ErrorInfo detail: reason, domain, metadata
	Info *errorInfo `json:"errorInfo,omitempty"`
	// "connect" when building the client failed
	Stage string `json:"stage,omitempty"`
}

type errorInfo struct {
	Reason   string            `json:"reason"`
	Domain   string            `json:"domain"`
	Metadata map[string]string `json:"metadata"`
}

func toRPCError(err error) *rpcError {
	out := &rpcError{Error: err.Error()}
	// status.FromError would replace the message with the wrapped text: unwrap by hand
	var gs interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &gs) || gs.GRPCStatus() == nil {
		return out
	}
	st := gs.GRPCStatus()
	out.Code = st.Code().String()
	out.Number = uint32(st.Code())
	out.Message = st.Message()
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			out.Info = &errorInfo{Reason: info.GetReason(), Domain: info.GetDomain(), Metadata: info.GetMetadata()}
		}
	}
	return out
}

// outcome records a step that may fail as part of the scenario (an ETag mismatch): nil when
// it succeeded.
func outcome(err error) *rpcError {
	if err == nil {
		return nil
	}
	return toRPCError(err)
}
