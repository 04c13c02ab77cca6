package oidctest

import (
	"context"
	"html/template"
	"net"
	"net/http"
	"strconv"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The login step: the authorization endpoint sends the browser to
// loginPath?authRequestID=ID; the form asks for a username (no password:
// it is a test provider) and, once it names a user, sends the browser back
// to the authorization endpoint's callback, which redirects to the client
// with a code. Cancel sends the client an access_denied error instead.
// Signing in opens a browser session (a cookie): while it lasts, the next
// authorization request from that browser skips the form, as at a real
// provider; end_session ends it.
const (
	loginPath         = "/login"
	loginRequestParam = "authRequestID"
)

type loginForm struct {
	store    *storage
	callback func(context.Context, string) string
	provider *op.Provider
	// cookie names the session cookie. Cookies ignore ports, so it names
	// the provider's port: two providers on one host (and the client on
	// loopback beside them) keep apart.
	cookie string
}

func sessionCookieName(addr net.Addr) string {
	name := "oidctest_session"
	if tcp, ok := addr.(*net.TCPAddr); ok {
		name += "_" + strconv.Itoa(tcp.Port)
	}
	return name
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in — test OpenID provider</title></head>
<body>
<main>
<h1>Sign in to the test OpenID provider</h1>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="id" value="{{.ID}}">
<p><label for="username">Username</label>
<input id="username" name="username" autocomplete="username" autofocus value="{{.Username}}"></p>
<p><button type="submit" name="action" value="login">Continue</button>
<button type="submit" name="action" value="cancel">Cancel</button></p>
</form>
</main>
</body>
</html>
`))

type loginView struct {
	ID, Username, Error string
}

func (l *loginForm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		id := r.URL.Query().Get(loginRequestParam)
		if c, err := r.Cookie(l.cookie); err == nil && l.store.resume(id, c.Value) {
			http.Redirect(w, r, l.callback(r.Context(), id), http.StatusFound)
			return
		}
		l.render(w, http.StatusOK, loginView{ID: id})
	case http.MethodPost:
		l.submit(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (l *loginForm) submit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "cannot parse the form: "+err.Error(), http.StatusBadRequest)
		return
	}
	id, username := r.PostForm.Get("id"), r.PostForm.Get("username")
	if r.PostForm.Get("action") == "cancel" {
		req, err := l.store.AuthRequestByID(r.Context(), id)
		if err != nil {
			l.render(w, http.StatusBadRequest, loginView{ID: id, Error: err.Error()})
			return
		}
		op.AuthRequestError(w, r, req, oidc.ErrAccessDenied().WithDescription("the user cancelled the sign-in"), l.provider)
		return
	}
	session, err := l.store.login(id, username)
	if err != nil {
		l.render(w, http.StatusOK, loginView{ID: id, Username: username, Error: err.Error()})
		return
	}
	http.SetCookie(w, &http.Cookie{Name: l.cookie, Value: session, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, l.callback(r.Context(), id), http.StatusFound)
}

func (l *loginForm) render(w http.ResponseWriter, status int, v loginView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = loginPage.Execute(w, v)
}
