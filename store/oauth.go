package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/optiq/optiq/app"
)

const (
	oauthCodeTTL    = 60 * time.Second
	oauthAccessTTL  = 30 * 24 * time.Hour
	oauthRefreshTTL = 90 * 24 * time.Hour
	refreshPrefix   = "optiqr_"
)

func randomSecret() string {
	var raw [32]byte
	rand.Read(raw[:])
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// AuthorizeOAuth implements app.Accounts.
func (s *Store) AuthorizeOAuth(ctx context.Context, c app.OAuthCode) (string, error) {
	if c.ChallengeMeth != "S256" {
		return "", app.Errorf(app.EINVALID, "only the S256 PKCE method is accepted")
	}
	if len(c.Challenge) != 43 {
		return "", app.Errorf(app.EINVALID, "code_challenge must be the base64url SHA-256 of the verifier")
	}
	code := randomSecret()
	err := s.control.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO oauth_codes (code_hash, user_id, client_id, redirect_uri, challenge, expires_at) VALUES (?,?,?,?,?,?)`,
			hashSecret(code), c.UserID, c.ClientID, c.RedirectURI, c.Challenge, s.opts.Now().Add(oauthCodeTTL).Unix()); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Actor: c.UserID, Action: app.AuditOAuthGrant, Target: c.UserID, Detail: map[string]string{"client_id": c.ClientID}})
	})
	return code, err
}

func pkceS256(verifier string) string {
	h := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// ExchangeOAuthCode implements app.Accounts. A code is marked used on the
// first attempt whatever its outcome, so that a wrong verifier cannot be
// retried.
func (s *Store) ExchangeOAuthCode(ctx context.Context, code, verifier, clientID, redirectURI string) (app.OAuthTokens, error) {
	fail := app.Errorf(app.EUNAUTHENTICATED, "invalid_grant: the code is invalid, expired, used, or does not match the verifier")
	var userID string
	err := s.control.Tx(ctx, func(tx *sql.Tx) error {
		var cid, ruri, challenge string
		var expires int64
		var used sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT user_id, client_id, redirect_uri, challenge, expires_at, used_at FROM oauth_codes WHERE code_hash = ?`, hashSecret(code)).
			Scan(&userID, &cid, &ruri, &challenge, &expires, &used)
		if errors.Is(err, sql.ErrNoRows) {
			return fail
		}
		if err != nil {
			return err
		}
		if used.Valid {
			return fail
		}
		if _, err := tx.ExecContext(ctx, `UPDATE oauth_codes SET used_at = ? WHERE code_hash = ?`, s.now(), hashSecret(code)); err != nil {
			return err
		}
		if expires <= s.now() || cid != clientID || ruri != redirectURI || len(verifier) < 43 || len(verifier) > 128 ||
			!constantEqual([]byte(pkceS256(verifier)), []byte(challenge)) {
			userID = ""
		}
		return nil
	})
	if err != nil {
		return app.OAuthTokens{}, err
	}
	if userID == "" {
		return app.OAuthTokens{}, fail
	}
	return s.issueOAuth(ctx, userID, newID("f_"))
}

// issueOAuth issues an access token and a refresh token in family.
func (s *Store) issueOAuth(ctx context.Context, userID, family string) (app.OAuthTokens, error) {
	access, err := s.IssueToken(ctx, userID, app.TokenOptions{Name: "cli oauth", Kind: app.CredOAuth, TTL: oauthAccessTTL, AuthAt: s.opts.Now(), Family: family})
	if err != nil {
		return app.OAuthTokens{}, err
	}
	id, secret := newID(""), randomSecret()
	_, err = s.control.write.ExecContext(ctx, `INSERT INTO oauth_refresh (id, family, user_id, secret_hash, created_at, expires_at) VALUES (?,?,?,?,?,?)`,
		id, family, userID, hashSecret(secret), s.now(), s.opts.Now().Add(oauthRefreshTTL).Unix())
	if err != nil {
		return app.OAuthTokens{}, mapError(err)
	}
	return app.OAuthTokens{AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(oauthAccessTTL / time.Second),
		RefreshToken: refreshPrefix + id + "_" + secret, UserID: userID}, nil
}

// RefreshOAuth implements app.Accounts.
func (s *Store) RefreshOAuth(ctx context.Context, refresh string) (app.OAuthTokens, error) {
	fail := app.Errorf(app.EUNAUTHENTICATED, "invalid_grant: the refresh token is invalid, expired or already used; sign in again")
	rest, ok := strings.CutPrefix(refresh, refreshPrefix)
	id, secret, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 {
		return app.OAuthTokens{}, fail
	}
	var userID, family string
	var reused bool
	err := s.control.Tx(ctx, func(tx *sql.Tx) error {
		var hash []byte
		var expires int64
		var rotated sql.NullInt64
		var revoked bool
		err := tx.QueryRowContext(ctx, `SELECT family, user_id, secret_hash, expires_at, rotated_at, revoked FROM oauth_refresh WHERE id = ?`, id).
			Scan(&family, &userID, &hash, &expires, &rotated, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return fail
		}
		if err != nil {
			return err
		}
		if !constantEqual(hash, hashSecret(secret)) {
			return fail
		}
		if rotated.Valid || revoked {
			// A rotated token came back: it was copied. Revoke the family
			// and every access token it issued.
			reused = true
			if _, err := tx.ExecContext(ctx, `UPDATE oauth_refresh SET revoked = 1 WHERE family = ?`, family); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM tokens WHERE family = ?`, family); err != nil {
				return err
			}
			return s.appendAudit(ctx, tx, app.AuditEntry{Actor: userID, Action: app.AuditOAuthReuse, Target: userID, Detail: map[string]string{"family": family}})
		}
		if expires <= s.now() {
			return fail
		}
		if _, err := tx.ExecContext(ctx, `UPDATE oauth_refresh SET rotated_at = ? WHERE id = ?`, s.now(), id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM tokens WHERE family = ?`, family)
		return err
	})
	if err != nil {
		return app.OAuthTokens{}, err
	}
	if reused {
		return app.OAuthTokens{}, fail
	}
	return s.issueOAuth(ctx, userID, family)
}
