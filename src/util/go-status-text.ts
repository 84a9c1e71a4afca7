// Go's http.StatusText: the words daprd puts in a gRPC status made from an HTTP status. Node's
// table has newer names for a few codes and knows one Go does not (509); Go has "" for a code
// it does not know. Pure.
import { STATUS_CODES } from 'node:http';

const GO_NAMES: Readonly<Record<number, string>> = {
  413: 'Request Entity Too Large', 414: 'Request URI Too Long', 416: 'Requested Range Not Satisfiable', 418: "I'm a teapot", 509: '',
};

export const goStatusText = (code: number): string => GO_NAMES[code] ?? STATUS_CODES[code] ?? '';
