<?php

declare(strict_types=1);

// A PHP service as it verifies Laravel Passport tokens before the migration, unchanged: firebase/
// php-jwt with Passport's oauth-public.key (RS256), the route's scope looked up in the `scopes`
// claim (or `*`). It checks neither `typ` nor `aud`, as such services usually don't. Used by the
// migration walk-through test as the receivers that have not moved yet.
// Environment: PASSPORT_PUBLIC_KEY_PATH, PHP_JWT_DIR, M2M_AUTH_ROUTES (JSON {"GET /path": [scope]}).

use Firebase\JWT\JWT;
use Firebase\JWT\Key;

$jwtDir = getenv('PHP_JWT_DIR') ?: dirname(__DIR__) . '/vendor/firebase/php-jwt';
foreach (['JWTExceptionWithPayloadInterface', 'BeforeValidException', 'ExpiredException', 'SignatureInvalidException', 'Key', 'JWK', 'JWT'] as $class) {
    require_once "$jwtDir/src/$class.php";
}
header('Content-Type: application/json');
$routes = json_decode(getenv('M2M_AUTH_ROUTES') ?: '{}', true);
$route = $_SERVER['REQUEST_METHOD'] . ' ' . parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if (!isset($routes[$route])) {
    http_response_code(404);
    echo json_encode(['error' => 'not_found']);
    return;
}
$authorization = array_change_key_case(getallheaders())['authorization'] ?? '';
try {
    $claims = JWT::decode(substr($authorization, 7), new Key(file_get_contents(getenv('PASSPORT_PUBLIC_KEY_PATH')), 'RS256'));
} catch (Throwable $e) {
    http_response_code(401);
    echo json_encode(['error' => 'Unauthenticated.']);
    return;
}
$scopes = $claims->scopes ?? [];
foreach ($routes[$route] as $scope) {
    if (!in_array($scope, $scopes, true) && !in_array('*', $scopes, true)) {
        http_response_code(403);
        echo json_encode(['error' => 'Invalid scope(s) provided.']);
        return;
    }
}
echo json_encode(['caller' => $claims->aud, 'scopes' => $scopes]);
