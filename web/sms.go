package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"text/template"
	"time"
)

// SMSGateway sends text messages through an HTTP gateway, as on-premises
// SMS gateways (and most hosted ones) accept them: one POST per message,
// the body rendered from a template with {{.Phone}} and {{.Message}}
// (JSON-escaped with {{json .Phone}}).
type SMSGateway struct {
	URL         string
	Template    *template.Template
	ContentType string
	// Header is added to every request (for example an Authorization
	// header holding the gateway's API key).
	Header http.Header
	HTTP   *http.Client
}

// DefaultSMSTemplate posts {"to": PHONE, "text": MESSAGE}.
const DefaultSMSTemplate = `{"to":{{json .Phone}},"text":{{json .Message}}}`

// NewSMSGateway returns a gateway sender for url with body template tmpl
// (DefaultSMSTemplate if empty).
func NewSMSGateway(url, tmpl, contentType string) (*SMSGateway, error) {
	if tmpl == "" {
		tmpl = DefaultSMSTemplate
	}
	if contentType == "" {
		contentType = "application/json"
	}
	t, err := template.New("sms").Funcs(template.FuncMap{"json": func(s string) string {
		b, _ := json.Marshal(s)
		return string(b)
	}}).Parse(tmpl)
	if err != nil {
		return nil, fmt.Errorf("SMS gateway template: %w", err)
	}
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return nil, fmt.Errorf("SMS gateway URL must be http(s), got %q", url)
	}
	return &SMSGateway{URL: url, Template: t, ContentType: contentType, Header: http.Header{}, HTTP: &http.Client{Timeout: 15 * time.Second}}, nil
}

// Send implements app.SMSSender.
func (g *SMSGateway) Send(ctx context.Context, phone, message string) error {
	var body bytes.Buffer
	if err := g.Template.Execute(&body, struct{ Phone, Message string }{phone, message}); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", g.URL, &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", g.ContentType)
	for k, vs := range g.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := g.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("SMS gateway: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 {
		// The status only: the gateway's answer may echo the message.
		return fmt.Errorf("SMS gateway answered %s", resp.Status)
	}
	return nil
}

// SMSFile appends each message as a JSON line to a file, for tests and
// for sites that deliver codes by other means.
type SMSFile struct {
	Path string
	mu   sync.Mutex
}

// Send implements app.SMSSender.
func (f *SMSFile) Send(_ context.Context, phone, message string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, _ := json.Marshal(map[string]string{"to": phone, "text": message})
	fh, err := os.OpenFile(f.Path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = fh.Write(append(b, '\n'))
	return errorsJoin(err, fh.Close())
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
