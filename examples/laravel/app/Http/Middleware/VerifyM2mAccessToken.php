<?php

declare(strict_types=1);

namespace App\Http\Middleware;

use Closure;
use Illuminate\Http\Request;
use M2mAuth\Laravel\AccessTokenVerifier;
use M2mAuth\Laravel\BearerError;
use Symfony\Component\HttpFoundation\Response;

/**
 * Laravel route middleware protecting a service's routes with m2m-auth access tokens.
 *
 *   // bootstrap/app.php (Laravel 11+)
 *   ->withMiddleware(fn ($m) => $m->alias(['m2m' => \App\Http\Middleware\VerifyM2mAccessToken::class]))
 *   // routes/api.php
 *   Route::get('/doctors', ...)->middleware('m2m:doctors:read');
 *
 * The verified claims are on `$request->attributes->get('m2m_claims')`, the caller's client_id
 * on `$request->attributes->get('m2m_client_id')`. Refusals answer per RFC 6750 §3 with JSON.
 */
final class VerifyM2mAccessToken
{
    public function __construct(private readonly AccessTokenVerifier $verifier)
    {
    }

    /** @param string ...$scopes scopes the route requires, e.g. `m2m:doctors:read` */
    public function handle(Request $request, Closure $next, string ...$scopes): Response
    {
        try {
            $claims = $this->verifier->authenticate($request->header('Authorization'), $scopes);
        } catch (BearerError $e) {
            return response()
                ->json($e->body(), $e->status)
                ->header('WWW-Authenticate', $e->challenge($this->verifier->realm()))
                ->header('Cache-Control', 'no-store');
        }
        $request->attributes->set('m2m_claims', $claims);
        $request->attributes->set('m2m_client_id', $claims->client_id ?? $claims->sub ?? null);
        return $next($request);
    }
}
