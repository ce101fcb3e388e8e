package githubfake

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

//go:generate go run ./specgen -in ../../../shared/github/openapi/api.github.com.json -webhooks ../../../shared/github/webhooks-openapi/api.github.com.json -out openapi

// subsetJSON is the part of GitHub's REST description the fake serves, cut
// by ./specgen from the published api.github.com.json (MIT, see
// openapi/LICENSE).
//
//go:embed openapi/github-subset.json
var subsetJSON []byte

// spec is the loaded description and a router over it.
type spec struct {
	doc    *openapi3.T
	router routers.Router
	// opts passes the document's format validators to every validation.
	opts []openapi3.SchemaValidationOption
}

// sharedSpec loads the description once per process: parsing and checking
// it takes about 100 ms, and the result is never modified afterwards, so
// every fake shares it.
var sharedSpec = sync.OnceValues(func() (*spec, error) { return loadSpec(context.Background()) })

// loadSpec parses the embedded description. GitHub's examples do not all
// match its own schemas (e.g. date-times without a zone), so the document
// is validated with example checking off; everything else must hold.
func loadSpec(ctx context.Context) (*spec, error) {
	doc, err := openapi3.NewLoader().LoadFromData(subsetJSON)
	if err != nil {
		return nil, fmt.Errorf("load GitHub description: %w", err)
	}
	if err := doc.Validate(ctx, openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("GitHub description does not validate: %w", err)
	}
	// date-time and int64 are checked by kin-openapi out of the box; the
	// other formats the subset uses are "uri" (every *_url) and
	// "repo.nwo" (owner/name).
	doc.SetStringFormatValidator("uri", openapi3.NewCallbackValidator(validURI))
	doc.SetStringFormatValidator("repo.nwo", openapi3.NewRegexpFormatValidator(`^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$`))
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route GitHub description: %w", err)
	}
	return &spec{doc: doc, router: router, opts: doc.GetSchemaValidationOptions()}, nil
}

func validURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme == "" || u.Host == "" {
		return errors.New("not an absolute URI")
	}
	return nil
}
