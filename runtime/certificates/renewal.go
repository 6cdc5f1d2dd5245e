package certificates

import (
	"crypto/x509"
	"fmt"
	"time"
)

// RenewBefore is how long before expiry a certificate is renewed at the latest
// (see RenewAt).
const RenewBefore = 30 * 24 * time.Hour

// RenewAt is when a certificate becomes due: once less than 30 days or less
// than a third of its lifetime remain, whichever comes first. The 30 days are
// capped at half the lifetime, so a short-lived certificate (Let's Encrypt's
// 6-day profile, a 45-day one) is not renewed at every run: a 90-day
// certificate is due with 30 days left, a 45-day one with 22.5 days left, a
// 6-day one with 3 days left, a 1-year one with 121.7 days left.
func RenewAt(c *x509.Certificate) time.Time {
	life := c.NotAfter.Sub(c.NotBefore)
	floor := min(RenewBefore, life/2)
	return c.NotAfter.Add(-max(floor, life/3))
}

// NeedsRenewal says whether c is due at now, with the reason in words.
func NeedsRenewal(c *x509.Certificate, now time.Time) (bool, string) {
	at := RenewAt(c)
	left := c.NotAfter.Sub(now).Round(time.Hour)
	switch {
	case !now.Before(c.NotAfter):
		return true, fmt.Sprintf("expired on %s", c.NotAfter.UTC().Format(time.RFC3339))
	case !now.Before(at):
		return true, fmt.Sprintf("%s left of %s, due since %s", left, c.NotAfter.Sub(c.NotBefore).Round(time.Hour), at.UTC().Format(time.RFC3339))
	}
	return false, fmt.Sprintf("valid until %s, due on %s", c.NotAfter.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
}
