<?php

declare(strict_types=1);

// A minimal PHP service (`php -S 127.0.0.1:8000 public/index.php`) doing what the Laravel
// middleware does, without Laravel: used by the tests and by the migration walk-through.
// Configuration from the environment: M2M_AUTH_ISSUER, M2M_AUTH_AUDIENCE, OAUTH_PUBLIC_KEY_PATH
// or M2M_AUTH_JWKS_URI, and PHP_JWT_DIR (firebase/php-jwt without composer).

use M2mAuth\Laravel\AccessTokenVerifier;
use M2mAuth\Laravel\BearerError;

$jwtDir = getenv('PHP_JWT_DIR') ?: dirname(__DIR__) . '/vendor/firebase/php-jwt';
foreach (['JWTExceptionWithPayloadInterface', 'BeforeValidException', 'ExpiredException', 'SignatureInvalidException', 'Key', 'JWK', 'JWT'] as $class) {
    require_once "$jwtDir/src/$class.php";
}
require_once dirname(__DIR__) . '/src/BearerError.php';
require_once dirname(__DIR__) . '/src/AccessTokenVerifier.php';

// M2M_AUTH_ROUTES: JSON {"GET /path": ["scope", ...]}; default: the doctors routes.
$routes = json_decode(getenv('M2M_AUTH_ROUTES') ?: 'null', true) ?? [
    'GET /doctors' => ['doctors:read'],
    'POST /doctors' => ['doctors:write'],
];
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
$route = $_SERVER['REQUEST_METHOD'] . ' ' . $path;
header('Content-Type: application/json');
if (!isset($routes[$route])) {
    http_response_code(404);
    echo json_encode(['error' => 'not_found']);
    return;
}
$verifier = AccessTokenVerifier::fromEnv();
try {
    // getallheaders(): PHP turns some schemes (Basic) into PHP_AUTH_* and drops HTTP_AUTHORIZATION.
    $authorization = array_change_key_case(getallheaders())['authorization'] ?? null;
    $claims = $verifier->authenticate($authorization, $routes[$route]);
} catch (BearerError $e) {
    header('WWW-Authenticate: ' . $e->challenge($verifier->realm()));
    header('Cache-Control: no-store');
    // After the headers: PHP sets 401 itself whenever a WWW-Authenticate header is sent.
    http_response_code($e->status);
    echo json_encode($e->body());
    return;
}
echo json_encode(['service' => getenv('M2M_AUTH_AUDIENCE'), 'caller' => $claims->client_id ?? null, 'scope' => $claims->scope ?? '']);
