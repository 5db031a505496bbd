require_relative '../config/environment'
Rake::Task['db:migrate'].invoke
