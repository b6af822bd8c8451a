// The sign-in page: email and password against `POST /v1/auth/login`, with the organization to
// work in when the account belongs to several.

import { ApiError, post, setCsrf, setOrganization } from './api.js';
import { field, h, mount } from './dom.js';

export function showSignIn(container, { onSignedIn, message } = {}) {
  document.title = 'Sign in · Trail';
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'button primary', text: 'Sign in' });
  const form = h('form', { class: 'signin-form', novalidate: true },
    h('h1', { text: 'Sign in to Trail' }),
    message ? h('p', { class: 'notice', role: 'status', text: message }) : null,
    field('Email', email),
    field('Password', password),
    error,
    submit,
    h('p', { class: 'muted small' },
      'No account yet? The operator adds people with ',
      h('code', { text: 'trail members add you@example.com --role owner --password-stdin' }),
      ' (see docs/quickstart.md).'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    if (!email.value.trim() || !password.value) {
      error.textContent = 'Enter your email and password.';
      error.hidden = false;
      (email.value.trim() ? password : email).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      const answer = await post('/v1/auth/login', { email: email.value.trim(), password: password.value });
      setCsrf(answer.csrf_token);
      setOrganization(answer.organization_id);
      password.value = '';
      onSignedIn(answer);
    } catch (e) {
      error.textContent = e instanceof ApiError ? e.message : String(e);
      error.hidden = false;
      password.select();
      submit.disabled = false;
      submit.textContent = 'Sign in';
    }
  });
  mount(container, h('div', { class: 'signin' }, form));
  email.focus();
}
