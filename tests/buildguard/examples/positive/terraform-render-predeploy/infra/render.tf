resource "render_web_service" "api" {
  name               = "api"
  pre_deploy_command = "alembic upgrade head"
  start_command      = "uvicorn app:app"
}
