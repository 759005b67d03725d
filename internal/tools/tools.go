//go:build tools

// Package tools pins modules that only tests or later packages import, so go.sum stays complete.
package tools

import (
	_ "github.com/PuerkitoBio/goquery"
	_ "github.com/elastic/go-elasticsearch/v8"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/testutil"
	_ "github.com/robfig/cron/v3"
	_ "go.etcd.io/bbolt"
	_ "golang.org/x/net/html/charset"
	_ "gopkg.in/yaml.v3"
)
