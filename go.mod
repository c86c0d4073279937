module gochat

go 1.26

require (
	github.com/julienschmidt/httprouter v1.3.0
	github.com/trustmaster/goflow v0.0.0-20210928125717-b7d4fd465ab2
)

require go.uber.org/goleak v1.3.0
