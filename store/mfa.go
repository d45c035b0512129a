package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"image/png"
	"math/big"
	"regexp"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/optiq/optiq/app"
)

const (
	totpPeriod      = 30
	backupCodeCount = 10
	smsCodeTTL      = 5 * time.Minute
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

func (s *Store) totpAAD(userID string) []byte  { return []byte("optiq/v1 totp secret " + userID) }
func (s *Store) phoneAAD(userID string) []byte { return []byte("optiq/v1 sms phone " + userID) }

// MFAStatus implements app.Accounts.
func (s *Store) MFAStatus(ctx context.Context, userID string) (app.MFAStatus, error) {
	var st app.MFAStatus
	err := s.control.read.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM mfa_totp WHERE user_id = ?1 AND confirmed = 1),
		EXISTS (SELECT 1 FROM mfa_sms WHERE user_id = ?1 AND confirmed = 1),
		(SELECT count(*) FROM backup_codes WHERE user_id = ?1 AND used_at IS NULL)`, userID).Scan(&st.TOTP, &st.SMS, &st.BackupCodesLeft)
	if err != nil {
		return st, err
	}
	set, err := s.Settings(ctx)
	st.Required = set.RequireMFA
	return st, err
}

// EnrolTOTP implements app.Accounts: a new secret, pending until a code
// from it is confirmed.
func (s *Store) EnrolTOTP(ctx context.Context, userID string) (app.TOTPEnrolment, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return app.TOTPEnrolment{}, err
	}
	var confirmed bool
	err = s.control.read.QueryRowContext(ctx, `SELECT confirmed FROM mfa_totp WHERE user_id = ?`, userID).Scan(&confirmed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return app.TOTPEnrolment{}, err
	}
	if confirmed {
		return app.TOTPEnrolment{}, app.Errorf(app.ECONFLICT, "an authenticator app is already enrolled: disable MFA first to replace it")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Optiq", AccountName: u.Email, Period: totpPeriod, SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return app.TOTPEnrolment{}, err
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return app.TOTPEnrolment{}, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return app.TOTPEnrolment{}, err
	}
	_, err = s.control.write.ExecContext(ctx, `INSERT INTO mfa_totp (user_id, secret_sealed, confirmed, last_step, created_at) VALUES (?,?,0,0,?)
		ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, last_step = 0, created_at = excluded.created_at`,
		userID, s.sealer.Seal([]byte(key.Secret()), s.totpAAD(userID)), s.now())
	if err != nil {
		return app.TOTPEnrolment{}, mapError(err)
	}
	return app.TOTPEnrolment{Secret: key.Secret(), URI: key.URL(), QRPNG: buf.Bytes()}, nil
}

// checkTOTP accepts a code for the current step ±1 that is newer than the
// last accepted step, and records its step so that it cannot be replayed.
func (s *Store) checkTOTP(ctx context.Context, tx *sql.Tx, userID, code string, confirmed bool) (bool, error) {
	var sealed []byte
	var last int64
	err := tx.QueryRowContext(ctx, `SELECT secret_sealed, last_step FROM mfa_totp WHERE user_id = ? AND confirmed = ?`, userID, confirmed).Scan(&sealed, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	secret, err := s.sealer.Open(sealed, s.totpAAD(userID))
	if err != nil {
		return false, fmt.Errorf("unseal TOTP secret of %s: %w", userID, err)
	}
	code = strings.TrimSpace(code)
	now := s.opts.Now().Unix() / totpPeriod
	for _, step := range []int64{now - 1, now, now + 1} {
		want, err := totp.GenerateCodeCustom(string(secret), time.Unix(step*totpPeriod, 0), totpOpts)
		if err != nil {
			return false, err
		}
		if constantEqual([]byte(want), []byte(code)) {
			if step <= last {
				return false, nil // replay of a used (or older) step
			}
			_, err := tx.ExecContext(ctx, `UPDATE mfa_totp SET last_step = ? WHERE user_id = ?`, step, userID)
			return err == nil, err
		}
	}
	return false, nil
}

func backupHash(userID, code string) []byte {
	code = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(code), "-", ""))
	return hashSecret("optiq backup code " + userID + ":" + code)
}

// newBackupCodes replaces userID's backup codes inside tx.
func (s *Store) newBackupCodes(ctx context.Context, tx *sql.Tx, userID string) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM backup_codes WHERE user_id = ?`, userID); err != nil {
		return nil, err
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	codes := make([]string, backupCodeCount)
	for i := range codes {
		var b [7]byte
		rand.Read(b[:])
		c := strings.ToLower(enc.EncodeToString(b[:]))[:10]
		codes[i] = c[:5] + "-" + c[5:]
		if _, err := tx.ExecContext(ctx, `INSERT INTO backup_codes (user_id, code_hash, created_at) VALUES (?,?,?)`, userID, backupHash(userID, c), s.now()); err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// checkSecondFactor checks a code of the given method and consumes it.
func (s *Store) checkSecondFactor(ctx context.Context, userID, method, code, purpose string) (bool, error) {
	var ok bool
	err := s.control.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		switch method {
		case app.MFATOTP, "":
			ok, err = s.checkTOTP(ctx, tx, userID, code, true)
		case app.MFABackup:
			var res sql.Result
			res, err = tx.ExecContext(ctx, `UPDATE backup_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`, s.now(), userID, backupHash(userID, code))
			if err == nil {
				n, _ := res.RowsAffected()
				ok = n == 1
				if ok {
					var left int
					tx.QueryRowContext(ctx, `SELECT count(*) FROM backup_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&left)
					err = s.appendAudit(ctx, tx, app.AuditEntry{Actor: userID, Action: app.AuditBackupCodeUsed, Target: userID, Detail: map[string]string{"left": fmt.Sprint(left)}})
				}
			}
		case app.MFASMS:
			var confirmed bool
			err = tx.QueryRowContext(ctx, `SELECT confirmed FROM mfa_sms WHERE user_id = ?`, userID).Scan(&confirmed)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err == nil && confirmed {
				ok, err = s.checkSMSCode(ctx, tx, userID, purpose, code)
			}
		default:
			return app.Errorf(app.EINVALID, "unknown MFA method %q: use totp, sms or backup", method)
		}
		return err
	})
	return ok, err
}

// ConfirmTOTP implements app.Accounts.
func (s *Store) ConfirmTOTP(ctx context.Context, userID, code string) ([]string, error) {
	var codes []string
	err := s.control.Tx(ctx, func(tx *sql.Tx) error {
		ok, err := s.checkTOTP(ctx, tx, userID, code, false)
		if err != nil {
			return err
		}
		if !ok {
			return app.Errorf(app.EINVALID, "wrong code: check the authenticator app and the clock of this device, or enrol again")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE mfa_totp SET confirmed = 1 WHERE user_id = ?`, userID); err != nil {
			return err
		}
		return s.afterEnrol(ctx, tx, userID, app.MFATOTP, &codes)
	})
	return codes, err
}

// afterEnrol issues backup codes with the first factor, lifts enrolment
// restrictions and audits.
func (s *Store) afterEnrol(ctx context.Context, tx *sql.Tx, userID, method string, codes *[]string) error {
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM backup_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&have); err != nil {
		return err
	}
	if have == 0 {
		c, err := s.newBackupCodes(ctx, tx, userID)
		if err != nil {
			return err
		}
		*codes = c
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tokens SET enrolling = 0 WHERE user_id = ?`, userID); err != nil {
		return err
	}
	return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditMFAEnrol, Target: userID, Detail: map[string]string{"method": method}})
}

// DisableMFA implements app.Accounts.
func (s *Store) DisableMFA(ctx context.Context, userID string) error {
	return s.control.Tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM mfa_totp WHERE user_id = ?`, `DELETE FROM mfa_sms WHERE user_id = ?`,
			`DELETE FROM backup_codes WHERE user_id = ?`, `DELETE FROM sms_codes WHERE user_id = ?`} {
			if _, err := tx.ExecContext(ctx, q, userID); err != nil {
				return err
			}
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditMFADisable, Target: userID})
	})
}

// RegenerateBackupCodes implements app.Accounts.
func (s *Store) RegenerateBackupCodes(ctx context.Context, userID string) ([]string, error) {
	st, err := s.MFAStatus(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !st.Enabled() {
		return nil, app.Errorf(app.ECONFLICT, "enable MFA first: backup codes go with an authenticator app or phone")
	}
	var codes []string
	err = s.control.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if codes, err = s.newBackupCodes(ctx, tx, userID); err != nil {
			return err
		}
		return s.appendAudit(ctx, tx, app.AuditEntry{Action: app.AuditBackupCodesNew, Target: userID})
	})
	return codes, err
}

var phoneRE = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

func smsHash(userID, purpose, code string) []byte {
	return hashSecret("optiq sms code " + userID + ":" + purpose + ":" + strings.TrimSpace(code))
}

// sendSMSCode creates, stores (hashed) and sends a code for purpose.
func (s *Store) sendSMSCode(ctx context.Context, userID, phone, purpose string) error {
	if s.opts.SMS == nil {
		return app.Errorf(app.EINVALID, "SMS is not configured on this server")
	}
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
	code := fmt.Sprintf("%06d", n.Int64())
	_, err := s.control.write.ExecContext(ctx, `INSERT INTO sms_codes (user_id, purpose, code_hash, expires_at, attempts) VALUES (?,?,?,?,0)
		ON CONFLICT (user_id, purpose) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at, attempts = 0`,
		userID, purpose, smsHash(userID, purpose, code), s.opts.Now().Add(smsCodeTTL).Unix())
	if err != nil {
		return mapError(err)
	}
	if err := s.opts.SMS.Send(ctx, phone, "Your Optiq code is "+code+". It expires in 5 minutes."); err != nil {
		return app.WrapError(app.EINTERNAL, err, "could not send the SMS")
	}
	return nil
}

// checkSMSCode checks and consumes an SMS code.
func (s *Store) checkSMSCode(ctx context.Context, tx *sql.Tx, userID, purpose, code string) (bool, error) {
	var hash []byte
	var expires, attempts int64
	err := tx.QueryRowContext(ctx, `SELECT code_hash, expires_at, attempts FROM sms_codes WHERE user_id = ? AND purpose = ?`, userID, purpose).Scan(&hash, &expires, &attempts)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if expires <= s.now() || attempts >= maxCodeAttempts {
		return false, nil
	}
	if !constantEqual(hash, smsHash(userID, purpose, code)) {
		_, err := tx.ExecContext(ctx, `UPDATE sms_codes SET attempts = attempts + 1 WHERE user_id = ? AND purpose = ?`, userID, purpose)
		return false, err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM sms_codes WHERE user_id = ? AND purpose = ?`, userID, purpose)
	return err == nil, err
}

// EnrolSMS implements app.Accounts: store the number (sealed) and send a
// confirmation code to it.
func (s *Store) EnrolSMS(ctx context.Context, userID, phone string) error {
	phone = strings.ReplaceAll(strings.TrimSpace(phone), " ", "")
	if !phoneRE.MatchString(phone) {
		return app.Errorf(app.EINVALID, "phone number must be in international form, like +4915123456789")
	}
	var confirmed bool
	err := s.control.read.QueryRowContext(ctx, `SELECT confirmed FROM mfa_sms WHERE user_id = ?`, userID).Scan(&confirmed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if confirmed {
		return app.Errorf(app.ECONFLICT, "a phone is already enrolled: disable MFA first to replace it")
	}
	_, err = s.control.write.ExecContext(ctx, `INSERT INTO mfa_sms (user_id, phone_sealed, confirmed, created_at) VALUES (?,?,0,?)
		ON CONFLICT (user_id) DO UPDATE SET phone_sealed = excluded.phone_sealed, created_at = excluded.created_at`,
		userID, s.sealer.Seal([]byte(phone), s.phoneAAD(userID)), s.now())
	if err != nil {
		return mapError(err)
	}
	return s.sendSMSCode(ctx, userID, phone, "enrol")
}

// ConfirmSMS implements app.Accounts.
func (s *Store) ConfirmSMS(ctx context.Context, userID, code string) ([]string, error) {
	var codes []string
	err := s.control.Tx(ctx, func(tx *sql.Tx) error {
		ok, err := s.checkSMSCode(ctx, tx, userID, "enrol", code)
		if err != nil {
			return err
		}
		if !ok {
			return app.Errorf(app.EINVALID, "wrong or expired code")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE mfa_sms SET confirmed = 1 WHERE user_id = ?`, userID); err != nil {
			return err
		}
		return s.afterEnrol(ctx, tx, userID, app.MFASMS, &codes)
	})
	return codes, err
}

// SendLoginSMS implements app.Accounts.
func (s *Store) SendLoginSMS(ctx context.Context, challenge string) error {
	var userID string
	var expires int64
	err := s.control.read.QueryRowContext(ctx, `SELECT user_id, expires_at FROM mfa_challenges WHERE id_hash = ?`, hashSecret(challenge)).Scan(&userID, &expires)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && expires <= s.now()) {
		return app.Errorf(app.EUNAUTHENTICATED, "sign-in expired: sign in again")
	}
	if err != nil {
		return err
	}
	var sealed []byte
	err = s.control.read.QueryRowContext(ctx, `SELECT phone_sealed FROM mfa_sms WHERE user_id = ? AND confirmed = 1`, userID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return app.Errorf(app.EINVALID, "no phone is enrolled for this account")
	}
	if err != nil {
		return err
	}
	phone, err := s.sealer.Open(sealed, s.phoneAAD(userID))
	if err != nil {
		return fmt.Errorf("unseal phone of %s: %w", userID, err)
	}
	return s.sendSMSCode(ctx, userID, string(phone), "login")
}
