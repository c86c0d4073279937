module gochat

go 1.26

require (
	github.com/julienschmidt/httprouter v1.3.0
	github.com/trustmaster/goflow v0.0.0-20210928125717-b7d4fd465ab2
)

require (
	github.com/chromedp/cdproto v0.159.0
	github.com/chromedp/chromedp v0.23.0
	go.uber.org/goleak v1.3.0
)

require github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
