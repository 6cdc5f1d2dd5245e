// Package certificates holds the TLS foundations of the proxy (issue "HTTPS
// without a failed request"): it loads and checks a certificate and key pair
// given in proxy.tls, decides when a certificate is due for renewal, stores
// certificates and ACME account keys under a state directory, and issues and
// renews certificates over ACME with the HTTP-01 challenge. It runs no
// Podman and no nginx: the proxy integration (units/proxy*.go, runtime/proxy)
// calls it and points nginx at the files it writes. It imports nothing of
// quadlaunch's.
//
// # Files
//
// Under the state directory (see Store), every directory is 0700 and every
// file 0600, written to a temporary file in the same directory, synced and
// renamed into place, so a reader sees the old file or the new one, never a
// half-written one. A certificate and its key are stored together as one
// version directory and published by replacing one symlink:
//
//	certificates/NAME/current -> SERIAL/   (switched with rename(2))
//	certificates/NAME/SERIAL/fullchain.pem  server certificate, then its issuers
//	certificates/NAME/SERIAL/key.pem        its private key
//	accounts/HOST-OF-DIRECTORY/EMAIL/key.pem       ACME account key
//	accounts/HOST-OF-DIRECTORY/EMAIL/account.json  its registration URL
//
// nginx reads `certificates/NAME/current/fullchain.pem` and `.../key.pem`
// (ssl_certificate, ssl_certificate_key) when it starts or reloads; because
// the pair is switched with one rename, a reload can never pair a new
// certificate with the old key. The nginx master process reads them (as root
// for a system proxy, as the user for a rootless one), so 0600 suffices.
//
// # HTTP-01 and the nginx location the integration must add
//
// With a Webroot, the challenge response for token T is written to
// WEBROOT/.well-known/acme-challenge/T (0644 in 0755 directories: the
// nginx workers, not the master, serve it). The port-80 server of every app
// with proxy.tls.acme must serve that directory before anything else, also
// when redirect_http is on, so that validation never depends on the 443
// server, which has no certificate before the first issuance:
//
//	location ^~ /.well-known/acme-challenge/ {
//	    root WEBROOT;
//	    default_type text/plain;
//	    try_files $uri =404;
//	}
//
// A Provider (lego's challenge.Provider) can be given instead, for example
// one that hands tokens to the proxy over its control socket.
//
// # Why lego and not certbot
//
// github.com/go-acme/lego is a well-kept Go ACME library (RFC 8555; the
// ACME client inside Traefik; regular releases): it links into the
// quadlaunch binary, so issuance and renewal need no Python runtime, no
// certbot plugins and no second package on the host, run with the same
// logging and error reporting as every other quadlaunch command, and are
// testable in-process against Pebble, Let's Encrypt's ACME test server.
// certbot would mean shelling out to a Python program, parsing its output for
// the server's reason, and living with its own directory layout
// (/etc/letsencrypt, its own renewal timer) next to ours.
package certificates
