package main

import (
	"os"

	"github.com/optiq/optiq/app"
	"github.com/optiq/optiq/web"
)

// smsSender configures SMS delivery from the environment:
// OPTIQ_SMS_GATEWAY_URL (+ OPTIQ_SMS_GATEWAY_TEMPLATE, a Go template with
// {{json .Phone}} and {{json .Message}}, OPTIQ_SMS_GATEWAY_CONTENT_TYPE and
// OPTIQ_SMS_GATEWAY_AUTHORIZATION) posts to an HTTP gateway;
// OPTIQ_SMS_FILE appends messages to a file. Neither: SMS MFA is off.
func smsSender() (app.SMSSender, error) {
	if u := os.Getenv("OPTIQ_SMS_GATEWAY_URL"); u != "" {
		g, err := web.NewSMSGateway(u, os.Getenv("OPTIQ_SMS_GATEWAY_TEMPLATE"), os.Getenv("OPTIQ_SMS_GATEWAY_CONTENT_TYPE"))
		if err != nil {
			return nil, err
		}
		if a := os.Getenv("OPTIQ_SMS_GATEWAY_AUTHORIZATION"); a != "" {
			g.Header.Set("Authorization", a)
		}
		return g, nil
	}
	if f := os.Getenv("OPTIQ_SMS_FILE"); f != "" {
		return &web.SMSFile{Path: f}, nil
	}
	return nil, nil
}
