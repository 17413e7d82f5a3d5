module example.com/shop

go 1.21

toolchain go1.21.5

require (
	github.com/gin-gonic/gin v1.9.0
	github.com/gorilla/websocket v1.4.0 // indirect
	golang.org/x/net v0.7.0 // indirect
	"example.com/quoted/mod" v0.1.0
	example.com/internal/helpers v0.0.0-00010101000000-000000000000
)

require github.com/pkg/errors v0.9.1

replace golang.org/x/net => golang.org/x/net v0.17.0

replace (
	example.com/internal/helpers => ./helpers
	github.com/pkg/errors v0.9.0 => github.com/pkg/errors v0.8.1
)

exclude github.com/gin-gonic/gin v1.8.0

retract v1.0.0 // published by mistake
